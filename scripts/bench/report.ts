/**
 * The figures of a bench run: one console table (figure, value, baseline,
 * ratio, goal, met?), a Markdown version for the README's Performance
 * section, and everything in `.polaris/bench/results.json`.
 */
import { cpus, loadavg } from 'node:os';
import { writeFileSync } from 'node:fs';

export interface Figure {
  /** Which part of the bench measured it (the BENCH_ONLY name). */
  section: string;
  name: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  /** value / baseline; set when a baseline is given. */
  ratio?: number;
  goal?: string;
  /** Whether the goal is met; undefined when the figure has no goal. */
  met?: boolean;
  /** Absolute details printed after the table and kept in the JSON. */
  extra?: Record<string, number | string>;
}

/** One line of a per-function table. */
export interface FunctionFigures {
  name: string;
  kind: string;
  bundleBytes?: number;
  coldStartMs?: number;
  coldStartRatio?: number;
  idleRssBytes?: number;
}

export class Results {
  readonly figures: Figure[] = [];
  readonly functions: FunctionFigures[] = [];
  /** Setup steps (fills, builds) and their durations; not figures. */
  readonly setup: Record<string, number | string> = {};
  /** Where the CPU went during each load, and other measurements that explain a figure. */
  readonly diagnostics: Record<string, unknown> = {};
  readonly failures: Array<{ section: string; error: string }> = [];

  add(figure: Figure): Figure {
    if (figure.baseline && figure.ratio === undefined) figure.ratio = figure.value / figure.baseline.value;
    this.figures.push(figure);
    return figure;
  }

  print(settings: Record<string, unknown>): void {
    const rows = this.figures.map((figure) => [
      figure.name,
      formatValue(figure.value, figure.unit),
      figure.baseline ? `${formatValue(figure.baseline.value, figure.unit)} (${figure.baseline.name})` : '—',
      figure.ratio === undefined ? '—' : `${figure.ratio.toFixed(2)}×`,
      figure.goal ?? '—',
      figure.met === undefined ? '' : figure.met ? 'yes' : 'NO',
    ]);
    const header = ['figure', 'value', 'baseline (same run)', 'ratio', 'goal', 'met?'];
    const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
    const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
    const out: string[] = ['', line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)];

    const details = this.figures.filter((figure) => figure.extra && Object.keys(figure.extra).length > 0);
    if (details.length > 0) {
      out.push('', 'Details:');
      for (const figure of details) {
        out.push(`  ${figure.name}: ${Object.entries(figure.extra!).map(([key, value]) => `${key}=${typeof value === 'number' ? round(value) : value}`).join(' ')}`);
      }
    }
    if (Object.keys(this.setup).length > 0) {
      out.push('', 'Setup (not figures):');
      for (const [key, value] of Object.entries(this.setup)) out.push(`  ${key}: ${typeof value === 'number' ? round(value) : value}`);
    }
    const cpu = this.diagnostics.cpu as Record<string, string> | undefined;
    if (cpu) {
      out.push('', 'CPU during each measurement (cores; bench = this process, which runs the load generator):');
      for (const [key, value] of Object.entries(cpu)) out.push(`  ${key}: ${value}`);
    }
    for (const failure of this.failures) out.push('', `FAILED ${failure.section}: ${failure.error}`);
    const withGoal = this.figures.filter((figure) => figure.met !== undefined);
    out.push('', `Goals met: ${withGoal.filter((figure) => figure.met).length} of ${withGoal.length}` + (this.failures.length > 0 ? `; ${this.failures.length} section(s) failed` : ''));
    out.push('', 'Markdown for the README (Performance):', '', this.markdown(settings));
    console.log(out.join('\n'));
  }

  markdown(settings: Record<string, unknown>): string {
    const lines = [
      `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), ` +
        `Node ${process.version}, ${Object.entries(settings).map(([key, value]) => `${key}=${value}`).join(', ')}.`,
      '',
      '| figure | value | baseline (same run) | ratio | goal | met? |',
      '| --- | ---: | ---: | ---: | --- | :---: |',
    ];
    // Per-function figures go to their own table below.
    for (const figure of this.figures.filter((figure) => figure.section !== 'bundles' || !figure.name.includes(': '))) {
      lines.push(
        `| ${figure.name} | ${formatValue(figure.value, figure.unit)} | ${figure.baseline ? `${formatValue(figure.baseline.value, figure.unit)} (${figure.baseline.name})` : '—'} | ` +
          `${figure.ratio === undefined ? '—' : `${figure.ratio.toFixed(2)}×`} | ${figure.goal ?? '—'} | ${figure.met === undefined ? '' : figure.met ? '✓' : '✗'} |`,
      );
    }
    if (this.functions.length > 0) {
      lines.push('', '| function | kind | bundle | cold start | × bare Node | idle RSS |', '| --- | --- | ---: | ---: | ---: | ---: |');
      for (const fn of this.functions) {
        lines.push(
          `| \`${fn.name}\` | ${fn.kind} | ${fn.bundleBytes === undefined ? '—' : formatValue(fn.bundleBytes, 'bytes')} | ` +
            `${fn.coldStartMs === undefined ? '—' : formatValue(fn.coldStartMs, 'ms')} | ${fn.coldStartRatio === undefined ? '—' : fn.coldStartRatio.toFixed(2)} | ` +
            `${fn.idleRssBytes === undefined ? '—' : formatValue(fn.idleRssBytes, 'bytes')} |`,
        );
      }
    }
    return lines.join('\n');
  }

  write(path: string, settings: Record<string, unknown>): void {
    const machine = { cores: cpus().length, cpu: cpus()[0]?.model.trim(), loadavg: loadavg(), node: process.version };
    writeFileSync(
      path,
      JSON.stringify(
        {
          at: new Date().toISOString(),
          settings,
          machine,
          figures: this.figures,
          functions: this.functions,
          setup: this.setup,
          diagnostics: this.diagnostics,
          failures: this.failures,
          // The figures' names and units above; read `met` for the goals.
        },
        null,
        2,
      ),
    );
  }
}

export function formatValue(value: number, unit: string): string {
  if (unit === 'bytes') {
    if (value >= 1024 * 1024) return `${(value / 1024 / 1024).toFixed(2)} MiB`;
    return `${(value / 1024).toFixed(0)} KiB`;
  }
  if (unit === 'ms') return `${value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : Math.round(value)} ms`;
  if (unit === 's') return `${value.toFixed(1)} s`;
  return `${Math.round(value).toLocaleString('en-US')} ${unit}`;
}

const round = (value: number) => (Math.abs(value) >= 100 ? Math.round(value) : Math.round(value * 100) / 100);
