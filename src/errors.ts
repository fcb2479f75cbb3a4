/**
 * The root of every error les-provider throws on purpose. Each carries a stable machine-readable
 * `code` and, where one input field is at fault, that `field`, so callers branch on data rather
 * than on message text. Layers define their own subclasses (wire: ProtocolError, verify:
 * VerificationError, ...); an error is logged once, where it is handled.
 */
export class LespError extends Error {
  readonly code: string;
  readonly field: string | undefined;

  constructor(code: string, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.field = options.field;
  }
}
