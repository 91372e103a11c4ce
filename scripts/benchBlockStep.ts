/**
 * `npx tsx scripts/benchBlockStep.ts [ROOT]`: CPU and wall seconds per head+last-block training step
 * at the reference model's shape (batch 64 × 144 cells, 1,024 → 1,024 block, 14 findings; seeded
 * inputs), on the training products' provider chain (CXR_LENS_PROVIDER=cpu forces the CPU). ROOT is a
 * checkout whose sources to time (default: this one), so two versions can be compared on the same
 * machine in alternation, e.g. a `git archive` of the base commit against this tree: the step is most
 * of a block epoch, and on a shared machine its CPU seconds are steadier than bench:train's wall time.
 * Prints one JSON line.
 */
import { resolve } from 'node:path'

async function main(): Promise<void> {
  const root = resolve(process.argv[2] ?? resolve(__dirname, '..'))
  const { blockTrainable } = (await import(`${root}/src/main/training/trainables.ts`)) as typeof import('../src/main/training/trainables')
  const { seededRandom } = (await import(`${root}/src/shared/random.ts`)) as typeof import('../src/shared/random')
  const random = seededRandom(5)
  const [Cin, K, C, cells, n] = [1024, 1024, 14, 144, 64]
  const block = {
    weight: Float32Array.from({ length: K * Cin }, () => (random() - 0.5) * 0.06),
    bias: Float32Array.from({ length: K }, () => random()),
    activation: 'relu6' as const,
    inChannels: Cin,
  }
  const head = { weight: Float32Array.from({ length: C * K }, () => (random() - 0.5) * 0.1), bias: new Float32Array(C) }
  const model = blockTrainable(block, head, cells, 0.1)
  const x = Float32Array.from({ length: n * cells * Cin }, () => Math.max(0, random() * 3 - 1))
  const step = () => model.backward(x, n, { keep: 0.8, random }, (logits) => logits.map((v) => v * 0.01))
  await step() // warm-up: the sessions open
  const cpu = () => {
    const u = process.cpuUsage()
    return (u.user + u.system) / 1e6
  }
  const steps = 4
  const c0 = cpu()
  const w0 = performance.now()
  for (let i = 0; i < steps; i++) await step()
  const perStep = (v: number) => +(v / steps).toFixed(3)
  console.log(
    JSON.stringify({ root, steps, cpu_s_per_step: perStep(cpu() - c0), wall_s_per_step: perStep((performance.now() - w0) / 1000) }),
  )
}

void main()
