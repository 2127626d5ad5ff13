import { connect, createServer } from 'node:net';

export const LOCALHOST = '127.0.0.1';
/** Away from 5432 so a system PostgreSQL (or a Docker one) can run next to ours. */
export const DEFAULT_PORT = 54329;

function listenOnce(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen({ port, host: LOCALHOST }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

/** True when nothing listens on 127.0.0.1:port (a wildcard listener on that port counts as taken). */
export async function isPortFree(port: number): Promise<boolean> {
  return (await listenOnce(port)) !== undefined;
}

/** A port the OS considers free right now. */
export async function freePort(): Promise<number> {
  const port = await listenOnce(0);
  if (port === undefined) throw new Error('the OS gave no free TCP port on 127.0.0.1');
  return port;
}

/** A plain TCP connect: enough to tell a live server from a stale postmaster.pid, and much faster than a login. */
export function acceptsConnections(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: LOCALHOST });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
