/** A fuzz file's counts, printed as one summary line when it ends. */
export class Tally {
  cases = 0;
  fiveXx = 0;
  uncoded = 0;
  strayRows = 0;
  /** Other counters a file wants in its summary (internal, accepted, …). */
  readonly extra = new Map<string, number>();
  private readonly started = performance.now();

  constructor(readonly name: string) {}

  count(name: string, by = 1): void {
    this.extra.set(name, (this.extra.get(name) ?? 0) + by);
  }

  /** One line for the lead's report. */
  print(): void {
    const seconds = ((performance.now() - this.started) / 1000).toFixed(1);
    const extra = [...this.extra].map(([name, value]) => `, ${name}: ${value}`).join('');
    console.log(`fuzz: ${this.name} ${this.cases} cases in ${seconds} s, 5xx: ${this.fiveXx}, uncoded: ${this.uncoded}, stray rows: ${this.strayRows}${extra}`);
  }
}
