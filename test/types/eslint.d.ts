/**
 * The slice of ESLint's Node API the layer test uses (eslint 8 ships no
 * types, and @types/eslint is not installed).
 */
declare module 'eslint' {
  export interface LintMessage {
    ruleId: string | null;
    message: string;
    /** Set on a parse failure: the file was not linted at all. */
    fatal?: boolean;
  }
  export interface LintResult {
    messages: LintMessage[];
  }
  export class ESLint {
    constructor(options?: {
      cwd?: string;
      overrideConfig?: { parserOptions?: Record<string, unknown> };
    });
    lintText(code: string, options?: { filePath?: string }): Promise<LintResult[]>;
  }
}
