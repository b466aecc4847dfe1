/**
 * The few log calls the transport makes. The argument order is pino's (fields first, then
 * the sentence), so qkmd can pass a pino child logger as it is.
 */
export interface TransportLogger {
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
  error(fields: Record<string, unknown>, msg: string): void;
}

export const silentLogger: TransportLogger = {
  info() {},
  warn() {},
  error() {},
};
