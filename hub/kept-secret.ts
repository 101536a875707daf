// 本地密钥 secrets the hub makes for itself when none is configured (the admin token, the video signing key): generated
// once, kept under DATA_DIR with mode 0600, so what was handed out with them (tokens, camera publish keys) survives a
// restart.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';

/** `given` if set; else the secret kept in `DATA_DIR/<name>`, made on first use (the warning names `variable`). */
export async function keptSecret(
  given: string | undefined,
  dataDir: string,
  name: string,
  variable: string,
  log: Logger,
): Promise<string> {
  if (given) return given;
  const file = path.resolve(dataDir, name);
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  await mkdir(path.dirname(file), { recursive: true });
  const secret = randomBytes(24).toString('base64url');
  await writeFile(file, secret + '\n', { mode: 0o600 });
  log.warn({ file }, `no ${variable}: generated one and saved it`);
  return secret;
}
