import { appendFileSync, writeFileSync } from 'node:fs';
import { type DecisionRecord, type DecisionSink, decisionLine } from '../iam/decisions.js';

/** Options of {@link decisionOutputs}. */
export interface DecisionOutputOptions {
  /** Print allowed decisions too, not only denials. @default false */
  explain?: boolean;
  /** Append every decision as one JSON line to this file (truncated first). @default none */
  file?: string | undefined;
  /** Where lines go. @default stderr */
  print?: (line: string) => void;
  /** Keep every record, for a least-privilege report at the end. @default false: a long run holds none */
  keep?: boolean;
}

/**
 * What `serve` and `start` do with decisions: one line on stderr per denial (every decision
 * with `--explain`), one JSON line each in the `--decisions` file, and all of them kept for the
 * least-privilege report when asked to keep them.
 */
export function decisionOutputs(options: DecisionOutputOptions): { sink: DecisionSink; records: DecisionRecord[] } {
  const print = options.print ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (options.file) writeFileSync(options.file, '', { mode: 0o600 });
  const records: DecisionRecord[] = [];
  const sink: DecisionSink = (record) => {
    if (options.keep) records.push(record);
    if (!record.allowed || options.explain) print(decisionLine(record));
    if (options.file) appendFileSync(options.file, `${JSON.stringify(record)}\n`);
  };
  return { sink, records };
}
