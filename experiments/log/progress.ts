/**
 * Progress on stdout. On a TTY: one bar redrawn in place with env steps, steps
 * per second, the last eval return and the ETA. Otherwise (CI logs, pipes):
 * one plain line per train and eval record, nothing redrawn.
 */
import type { LogRecord, Sink } from './sink.ts';

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(rest).padStart(2, '0')}s` : `${rest}s`;
}

function number(value: number | undefined, digits = 1): string {
  return value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits);
}

export interface ProgressOptions {
  totalEnvSteps: number;
  /** Where to write; process.stdout by default. */
  stream?: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  /** Force plain lines (or the bar); by default decided by stream.isTTY. */
  tty?: boolean;
}

export class ProgressSink implements Sink {
  private readonly stream: NonNullable<ProgressOptions['stream']>;
  private readonly tty: boolean;
  private lastEval: number | undefined;
  private window: [number, number][] = [];
  private sps = NaN;
  private barShown = false;

  constructor(private readonly options: ProgressOptions) {
    this.stream = options.stream ?? process.stdout;
    this.tty = options.tty ?? Boolean(this.stream.isTTY);
  }

  // SPS over a window of the recent records: it follows a change of pace (the
  // random phase is far faster than learning) within a few records.
  private updateSpeed(record: LogRecord): void {
    this.window.push([record.time, record.envStep]);
    if (this.window.length > 6) this.window.shift();
    const [firstTime, firstStep] = this.window[0];
    if (record.time > firstTime && record.envStep > firstStep) this.sps = (record.envStep - firstStep) / (record.time - firstTime);
  }

  /** Text printed above the bar (or as a plain line). */
  message(text: string): void {
    if (this.tty && this.barShown) this.stream.write('\r\x1b[2K');
    this.stream.write(text + '\n');
    this.barShown = false;
  }

  write(record: LogRecord): void {
    if (record.kind === 'event') {
      // A failure's error is what the run throws: its caller reports it (rad prints "rad: error: ...").
      if (record.message === 'failed') return;
      if (record.message) this.message(`[${record.message}] env_step=${record.envStep}${record.details ? ' ' + Object.entries(record.details).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`).join(' ') : ''}`);
      return;
    }
    if (record.kind === 'eval') this.lastEval = record.scalars['eval/return_mean'];
    this.updateSpeed(record);
    const total = this.options.totalEnvSteps;
    const eta = (total - record.envStep) / this.sps;
    if (!this.tty) {
      if (record.kind === 'eval') {
        this.stream.write(`eval  env_step=${record.envStep} agent_step=${record.agentStep} return=${number(this.lastEval)} ± ${number(record.scalars['eval/return_std'])}\n`);
      } else {
        const episodeReturn = record.scalars['train/episode_return'];
        this.stream.write(`train env_step=${record.envStep}/${total} agent_step=${record.agentStep} sps=${number(this.sps)} episode_return=${number(episodeReturn)} eta=${formatDuration(eta)}\n`);
      }
      return;
    }
    const width = Math.max(10, Math.min(40, (this.stream.columns ?? 100) - 70));
    const fraction = Math.min(1, record.envStep / total);
    const filled = Math.round(fraction * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const line = `${bar} ${record.envStep}/${total} env steps | ${number(this.sps, 0)} SPS | eval ${number(this.lastEval)} | ETA ${formatDuration(eta)}`;
    this.stream.write('\r\x1b[2K' + line);
    this.barShown = true;
  }

  close(): void {
    if (this.tty && this.barShown) this.stream.write('\n');
    this.barShown = false;
  }
}
