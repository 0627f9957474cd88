/**
 * What every command starts from, made once and only when used: the configuration (the environment,
 * validated), the deployment's pipelines, and a Temporal client connected on first use and closed
 * when the command ends. A command that only reads the lake never connects; one refused for bad
 * input never loads more than it needed to refuse it.
 */
import type { Client } from '@temporalio/client';
import { connectClient } from '../client/connect';
import { deploymentRegistry, type PipelineRegistry } from '../definitions/registry';
import { loadConfig, type ConveyorConfig } from '../platform/config';

export class Context {
  private loadedConfig: ConveyorConfig | undefined;
  private connecting: Promise<Client> | undefined;
  /** Set by a command whose outcome is not success (a failed partition, a failed backfill): 1. */
  exitCode = 0;

  get config(): ConveyorConfig {
    return (this.loadedConfig ??= loadConfig());
  }

  get registry(): PipelineRegistry {
    return deploymentRegistry();
  }

  /** The registry and configuration, as the client library's calls take them. */
  get deployment(): { config: ConveyorConfig; registry: PipelineRegistry } {
    return { config: this.config, registry: this.registry };
  }

  /** The Temporal client, connected on first use (an unreachable server is a one-line error). */
  client(): Promise<Client> {
    this.connecting ??= connectClient(this.config);
    return this.connecting;
  }

  /** Close what was opened; called once the command has ended, however it ended. */
  async close(): Promise<void> {
    const client = await this.connecting?.catch(() => undefined);
    await client?.connection.close().catch(() => undefined);
  }
}
