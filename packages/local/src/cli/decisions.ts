import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
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

/**
 * The decisions a `serve --decisions <file>` run wrote, one JSON line each; throws one line
 * naming the file and the first line that is not a decision.
 */
export function readDecisions(file: string): DecisionRecord[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(
      `--decisions ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  return text
    .split('\n')
    .map((line, index) => [line, index + 1] as const)
    .filter(([line]) => line.trim() !== '')
    .map(([line, number]) => {
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch {
        record = undefined;
      }
      const fields = record as Partial<DecisionRecord> | undefined;
      if (
        typeof fields?.allowed !== 'boolean' ||
        typeof fields.principal !== 'string' ||
        typeof fields.action !== 'string'
      )
        throw new Error(
          `--decisions ${file}: line ${number} is not a decision as serve --decisions writes them (a JSON object with allowed, principal, action, resource)`,
        );
      return record as DecisionRecord;
    });
}
