/**
 * A real Spark standalone cluster for end-to-end tests: a master and one worker (one core, 1 GiB),
 * started from the PySpark package's own `bin/spark-class` on loopback, as an operator starts one, and
 * stopped with everything they started.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pythonEnvBin } from '../../platform/python-env';
import { freePort } from '../../scripts/lib/ports';
import { within } from './bounds';

export interface SparkCluster {
  master: string;
  /** The master's web UI; `/json/` lists its workers and applications. */
  ui: string;
  stop(): Promise<void>;
}

/** The PySpark package's folder (its `bin/`, `jars/`): SPARK_HOME for spark-class. */
export function sparkHome(): string {
  const found = spawnSync(pythonEnvBin('python'), ['-c', 'import os, pyspark; print(os.path.dirname(pyspark.__file__))'], { encoding: 'utf8' });
  if (found.status !== 0) throw new Error(`pyspark is not installed in .tools/python (npm run python-env): ${found.stderr}`);
  return found.stdout.trim();
}

export async function startSparkCluster(workDir: string): Promise<SparkCluster> {
  const home = sparkHome();
  const [port, masterUi, workerUi] = [await freePort(), await freePort(), await freePort()];
  const master = `spark://127.0.0.1:${port}`;
  const env = { ...process.env, SPARK_HOME: home, SPARK_LOCAL_IP: '127.0.0.1', SPARK_LOG_DIR: workDir };
  fs.mkdirSync(workDir, { recursive: true });
  const started: { child: ChildProcess; log: () => string }[] = [];
  const start = (name: string, args: string[]) => {
    const child = spawn(path.join(home, 'bin', 'spark-class'), args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
    const entry = { child, log: () => log };
    started.push(entry);
    return async (pattern: RegExp) =>
      within(`the Spark ${name} to start`, 120_000, (async () => {
        while (!pattern.test(log)) {
          if (child.exitCode !== null) throw new Error(`the Spark ${name} exited (${child.exitCode}):\n${log}`);
          await new Promise((r) => setTimeout(r, 250));
        }
      })());
  };
  const stop = async () => {
    for (const { child } of started) if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGTERM');
    await Promise.all(started.map(({ child }) => (child.exitCode === null ? within('the Spark cluster to stop', 30_000, new Promise((r) => child.once('exit', r))) : undefined)));
  };
  try {
    await start('master', ['org.apache.spark.deploy.master.Master', '--host', '127.0.0.1', '--port', String(port), '--webui-port', String(masterUi)])(/I have been elected leader/);
    await start('worker', ['org.apache.spark.deploy.worker.Worker', master, '--host', '127.0.0.1', '--cores', '1', '--memory', '1g', '--webui-port', String(workerUi), '--work-dir', path.join(workDir, 'work')])(/Successfully registered with master/);
  } catch (err) {
    await stop();
    throw err;
  }
  return { master, ui: `http://127.0.0.1:${masterUi}`, stop };
}
