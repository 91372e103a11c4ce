/**
 * Bounds the bytes of files held in memory at once by concurrent decoders: six readers each
 * holding a file at the per-file cap would otherwise need 1.5 GB before a single pixel is decoded.
 * One holder may always proceed, so a file as large as the whole budget still imports.
 */
export class ByteBudget {
  private used = 0
  private readonly waiting: Array<() => void> = []

  constructor(readonly limit: number) {}

  async take(bytes: number): Promise<void> {
    while (this.used > 0 && this.used + bytes > this.limit) await new Promise<void>((wake) => this.waiting.push(wake))
    this.used += bytes
  }

  give(bytes: number): void {
    this.used -= bytes
    for (const wake of this.waiting.splice(0)) wake()
  }
}
