import { describe, expect, it } from 'vitest'
import { memoryTraceLine, parseMemoryTraceLine, startMemoryTrace, MEMORY_TRACE_ENV } from '../../src/main/diagnostics/memoryTrace'

describe('memory trace (CXR_LENS_MEMORY_TRACE)', () => {
  it('is off unless asked for', () => {
    const lines: string[] = []
    expect(startMemoryTrace({}, (l) => lines.push(l))).toBeNull()
    expect(lines).toEqual([])
  })

  it('writes a sample at once and reads it back; other lines are not samples', () => {
    const lines: string[] = []
    const stop = startMemoryTrace({ [MEMORY_TRACE_ENV]: '1000' }, (l) => lines.push(l))
    expect(stop).toBeTypeOf('function')
    stop!()
    expect(lines).toHaveLength(1)
    const sample = parseMemoryTraceLine(lines[0].trimEnd())!
    expect(sample.rss).toBeGreaterThan(sample.heapUsed)
    expect(sample.heapTotal).toBeGreaterThanOrEqual(sample.heapUsed)
    expect(parseMemoryTraceLine(memoryTraceLine(sample).trimEnd())).toEqual(sample)
    expect(parseMemoryTraceLine('{"level":"info","msg":"browser mode started"}')).toBeNull()
    expect(parseMemoryTraceLine('{"memoryTrace": not json')).toBeNull()
    expect(parseMemoryTraceLine('{"memoryTrace":{"rss":"big"}}')).toBeNull()
  })

  it.each(['0', '5', 'fast', '1.5', '999999'])('refuses %j by name and runs without a trace', (value) => {
    const lines: string[] = []
    expect(startMemoryTrace({ [MEMORY_TRACE_ENV]: value }, (l) => lines.push(l))).toBeNull()
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(`${MEMORY_TRACE_ENV}=${JSON.stringify(value)}`)
  })
})
