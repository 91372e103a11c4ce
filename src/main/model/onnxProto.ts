/**
 * A minimal reader of the ONNX protobuf: enough to list the graph's inputs and outputs and read
 * float initializers by name. The engine takes a model head's weights from the verified model file
 * itself, so the closed-form explanation always matches the network that runs.
 */
export interface OnnxValueInfo {
  name: string
  elemType: number
  /** A number for a fixed dimension, a string for a symbolic one (e.g. the batch axis). */
  shape: Array<number | string>
}

export interface OnnxTensor {
  name: string
  dims: number[]
  dataType: number
  data: Float32Array
  /** where a float32 tensor's raw_data starts in the model file, so a new head can be written in place */
  rawOffset?: number
}

/** A node with its integer and float attributes (enough to recognise a conv block's shape). */
export interface OnnxNode {
  name: string
  opType: string
  inputs: string[]
  outputs: string[]
  attributes: Record<string, number | number[]>
}

export interface OnnxGraphInfo {
  inputs: OnnxValueInfo[]
  outputs: OnnxValueInfo[]
  initializers: Map<string, OnnxTensor>
  nodes: OnnxNode[]
}

const FLOAT = 1
const DOUBLE = 11

class Reader {
  pos: number
  constructor(
    readonly buf: Uint8Array,
    readonly start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start
  }
  done(): boolean {
    return this.pos >= this.end
  }
  varint(): number {
    let result = 0
    let shift = 1
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated varint')
      const byte = this.buf[this.pos++]
      result += (byte & 0x7f) * shift
      if (byte < 0x80) return result
      shift *= 128
      if (shift > 2 ** 63) throw new Error('varint too long')
    }
  }
  tag(): { field: number; wire: number } {
    const tag = this.varint()
    return { field: Math.floor(tag / 8), wire: tag & 7 }
  }
  bytes(): Reader {
    const length = this.varint()
    if (this.pos + length > this.end) throw new Error('truncated length-delimited field')
    const sub = new Reader(this.buf, this.pos, this.pos + length)
    this.pos += length
    return sub
  }
  skip(wire: number): void {
    if (wire === 0) this.varint()
    else if (wire === 1) this.pos += 8
    else if (wire === 2) this.bytes()
    else if (wire === 5) this.pos += 4
    else throw new Error(`unsupported wire type ${wire}`)
    if (this.pos > this.end) throw new Error('truncated field')
  }
  string(): string {
    const sub = this.bytes()
    return new TextDecoder().decode(this.buf.subarray(sub.start, sub.end))
  }
  slice(): Uint8Array {
    const sub = this.bytes()
    return this.buf.subarray(sub.start, sub.end)
  }
}

function readTensor(r: Reader): OnnxTensor {
  const tensor = { name: '', dims: [] as number[], dataType: 0, floats: [] as number[], raw: null as Uint8Array | null, external: false }
  while (!r.done()) {
    const { field, wire } = r.tag()
    if (field === 1 && wire === 2) {
      const packed = r.bytes()
      while (!packed.done()) tensor.dims.push(packed.varint())
    } else if (field === 1) tensor.dims.push(r.varint())
    else if (field === 2) tensor.dataType = r.varint()
    else if (field === 4 && wire === 2) {
      const bytes = r.slice()
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      for (let i = 0; i + 4 <= bytes.length; i += 4) tensor.floats.push(view.getFloat32(i, true))
    } else if (field === 8) tensor.name = r.string()
    else if (field === 9) tensor.raw = r.slice()
    else if (field === 14) tensor.external = r.varint() === 1
    else r.skip(wire)
  }
  const count = tensor.dims.reduce((a, b) => a * b, 1)
  let data = new Float32Array(0)
  if (tensor.dataType === FLOAT && tensor.raw) {
    data = new Float32Array(count)
    const view = new DataView(tensor.raw.buffer, tensor.raw.byteOffset, tensor.raw.byteLength)
    for (let i = 0; i < count; i++) data[i] = view.getFloat32(i * 4, true)
  } else if (tensor.dataType === DOUBLE && tensor.raw) {
    data = new Float32Array(count)
    const view = new DataView(tensor.raw.buffer, tensor.raw.byteOffset, tensor.raw.byteLength)
    for (let i = 0; i < count; i++) data[i] = view.getFloat64(i * 8, true)
  } else if (tensor.dataType === FLOAT) data = Float32Array.from(tensor.floats)
  const rawOffset = tensor.dataType === FLOAT && tensor.raw ? tensor.raw.byteOffset - r.buf.byteOffset : undefined
  return { name: tensor.name, dims: tensor.dims, dataType: tensor.dataType, data, rawOffset }
}

/**
 * A copy of the model with some float32 initializers replaced (same shapes): how a fine-tuned head
 * becomes a new model file whose backbone is byte-for-byte the parent's.
 */
export function patchInitializers(model: Uint8Array, graph: OnnxGraphInfo, replacements: Record<string, Float32Array>): Uint8Array {
  const out = Uint8Array.from(model)
  const view = new DataView(out.buffer)
  for (const [name, values] of Object.entries(replacements)) {
    const tensor = graph.initializers.get(name)
    if (!tensor || tensor.rawOffset === undefined) throw new Error(`initializer ${name} is not a float32 raw tensor in this model`)
    if (tensor.data.length !== values.length)
      throw new Error(`initializer ${name} has ${tensor.data.length} values, the replacement ${values.length}`)
    values.forEach((v, i) => view.setFloat32(tensor.rawOffset! + i * 4, v, true))
  }
  return out
}

function readValueInfo(r: Reader): OnnxValueInfo {
  const info: OnnxValueInfo = { name: '', elemType: 0, shape: [] }
  while (!r.done()) {
    const { field, wire } = r.tag()
    if (field === 1) info.name = r.string()
    else if (field === 2) {
      const type = r.bytes()
      while (!type.done()) {
        const t = type.tag()
        if (t.field !== 1) {
          type.skip(t.wire)
          continue
        }
        const tensorType = type.bytes()
        while (!tensorType.done()) {
          const tt = tensorType.tag()
          if (tt.field === 1) info.elemType = tensorType.varint()
          else if (tt.field === 2) {
            const shape = tensorType.bytes()
            while (!shape.done()) {
              const s = shape.tag()
              if (s.field !== 1) {
                shape.skip(s.wire)
                continue
              }
              const dim = shape.bytes()
              let value: number | string = '?'
              while (!dim.done()) {
                const d = dim.tag()
                if (d.field === 1) value = dim.varint()
                else if (d.field === 2) value = dim.string()
                else dim.skip(d.wire)
              }
              info.shape.push(value)
            }
          } else tensorType.skip(tt.wire)
        }
      }
    } else r.skip(wire)
  }
  return info
}

/** AttributeProto: name (1), f (2), i (3), t (5, a float tensor's values), ints (8); other kinds are skipped. */
function readAttribute(r: Reader): [string, number | number[] | undefined] {
  let name = ''
  let value: number | number[] | undefined
  const list: number[] = []
  while (!r.done()) {
    const { field, wire } = r.tag()
    if (field === 1) name = r.string()
    else if (field === 2 && wire === 5) {
      value = new DataView(r.buf.buffer, r.buf.byteOffset + r.pos, 4).getFloat32(0, true)
      r.pos += 4
    } else if (field === 3 && wire === 0) {
      const v = r.varint()
      value = v >= 2 ** 63 ? v - 2 ** 64 : v // int64 two's complement (e.g. pads of -1 never occur, but axis -1 does)
    } else if (field === 5 && wire === 2) {
      const t = readTensor(r.bytes())
      value = t.dims.length === 0 ? t.data[0] : Array.from(t.data)
    } else if (field === 8 && wire === 2) {
      const packed = r.bytes()
      while (!packed.done()) list.push(packed.varint())
    } else if (field === 8) list.push(r.varint())
    else r.skip(wire)
  }
  return [name, value ?? (list.length ? list : undefined)]
}

function readNode(r: Reader): OnnxNode {
  const node: OnnxNode = { name: '', opType: '', inputs: [], outputs: [], attributes: {} }
  while (!r.done()) {
    const { field, wire } = r.tag()
    if (field === 1) node.inputs.push(r.string())
    else if (field === 2) node.outputs.push(r.string())
    else if (field === 3) node.name = r.string()
    else if (field === 4) node.opType = r.string()
    else if (field === 5 && wire === 2) {
      const [name, value] = readAttribute(r.bytes())
      if (value !== undefined) node.attributes[name] = value
    } else r.skip(wire)
  }
  return node
}

/** Parses a ModelProto; throws a plain Error when the bytes are not an ONNX model. */
export function readOnnxGraph(bytes: Uint8Array): OnnxGraphInfo {
  const model = new Reader(bytes)
  let graph: Reader | null = null
  while (!model.done()) {
    const { field, wire } = model.tag()
    if (field === 7 && wire === 2) graph = model.bytes()
    else model.skip(wire)
  }
  if (!graph) throw new Error('no graph found: not an ONNX model')
  const info: OnnxGraphInfo = { inputs: [], outputs: [], initializers: new Map(), nodes: [] }
  while (!graph.done()) {
    const { field, wire } = graph.tag()
    if (field === 1 && wire === 2) info.nodes.push(readNode(graph.bytes()))
    else if (field === 5 && wire === 2) {
      const tensor = readTensor(graph.bytes())
      info.initializers.set(tensor.name, tensor)
    } else if (field === 11 && wire === 2) info.inputs.push(readValueInfo(graph.bytes()))
    else if (field === 12 && wire === 2) info.outputs.push(readValueInfo(graph.bytes()))
    else graph.skip(wire)
  }
  // Older exporters list initializers among the inputs too; those are weights, not inputs.
  info.inputs = info.inputs.filter((input) => !info.initializers.has(input.name))
  return info
}
