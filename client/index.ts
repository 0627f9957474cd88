/** Conveyor's typed client API for services. */
export { connectClient } from './connect';
export * from './partition-runs';
export * from './backfills';
export * from './lake';
export { InputError, Unavailable } from '../common/errors';
