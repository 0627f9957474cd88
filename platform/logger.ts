/**
 * One pino logger for the whole process. Worker and activity lines are children of it that carry
 * `workflowId`, `runId`, `pipeline`, `partition` and `attempt`; the Temporal SDK's own runtime logs
 * are routed through it by {@link PinoSdkLogger}.
 */
import pino, { type Logger as PinoLogger } from 'pino';
import type { LogLevel, LogMetadata, Logger as SdkLogger } from '@temporalio/common';

export type Logger = PinoLogger;

let rootLogger: PinoLogger | undefined;

/** A Conveyor logger: JSON lines with ISO timestamps, to stdout or the given destination. */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', destination?: pino.DestinationStream): PinoLogger {
  const options = { level, base: { service: 'conveyor' }, timestamp: pino.stdTimeFunctions.isoTime };
  return destination ? pino(options, destination) : pino(options);
}

export function getLogger(): PinoLogger {
  rootLogger ??= createLogger();
  return rootLogger;
}

/** Replace the root logger (e.g. tests that capture lines, CLIs that log to a file). */
export function setLogger(logger: PinoLogger): void {
  rootLogger = logger;
}

const SDK_TO_PINO_LEVEL: Record<LogLevel, pino.Level> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** Adapts the Temporal SDK's logger interface to pino, so the SDK's lines are JSON like ours. */
export class PinoSdkLogger implements SdkLogger {
  constructor(private readonly logger: PinoLogger) {}

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    this.logger[SDK_TO_PINO_LEVEL[level]]({ ...meta, source: 'temporal-sdk' }, message);
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}
