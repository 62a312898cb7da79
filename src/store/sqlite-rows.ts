/**
 * Many rows per INSERT statement. Each statement run costs better-sqlite3
 * and SQLite a fixed part (binding, VDBE start and reset) on top of the row
 * itself; a 512-byte history row took 3.2 µs alone against about 2.7 µs as
 * one of 16 (docs/performance.md, sixth pass). A batch's rows are bound as
 * one flat list into a statement of ROWS `VALUES` tuples, and the rest one
 * by one.
 *
 * Not for the idempotency keys: a multi-row OR REPLACE into a table with a
 * second index made SQLite spill the rows to a temporary file, and a key
 * cost 8.4–9.5 µs instead of 4.6–5.0.
 */
import type Database from 'better-sqlite3';

/** Rows per multi-row statement: past 16 the gain flattens out (and SQLite allows 32,766 variables). */
const ROWS = 16;

export class RowInserter {
  private readonly one: Database.Statement<unknown[]>;
  private readonly many: Database.Statement<unknown[]>;
  private readonly width: number;
  /** The values of rows added and not yet inserted, flat. */
  private readonly values: unknown[] = [];

  /**
   * `head` is the statement up to `VALUES` (`INSERT … INTO t (a, b)`), and
   * `width` the number of columns it names.
   */
  constructor(db: Database.Database, head: string, width: number) {
    const tuple = `(${Array.from({ length: width }, () => '?').join(', ')})`;
    this.width = width;
    this.one = db.prepare(`${head} VALUES ${tuple}`);
    this.many = db.prepare(`${head} VALUES ${Array.from({ length: ROWS }, () => tuple).join(', ')}`);
  }

  /** Start a set of rows (dropping any left by a set whose transaction failed). */
  begin(): void {
    this.values.length = 0;
  }

  /**
   * Add a row (`width` values, in the head's column order); a full set of
   * ROWS is inserted at once. Rows go in in the order added, so a later row
   * replacing an earlier one (`OR REPLACE`) wins as with one statement each.
   */
  add(...row: unknown[]): void {
    const values = this.values;
    for (const v of row) values.push(v);
    if (values.length === ROWS * this.width) {
      this.many.run(values);
      values.length = 0;
    }
  }

  /** Insert the rows still held (call before the transaction commits). */
  finish(): void {
    const values = this.values;
    for (let i = 0; i < values.length; i += this.width) {
      this.one.run(values.slice(i, i + this.width));
    }
    values.length = 0;
  }
}
