import { AuthkeysSecret, authkeysIndex } from "./node-file";

/** The heartbeat keys a plan needs: this rotation's, and the one before it while rotating. */
export interface AuthkeysMaterial {
  readonly current: string;
  /** Absent at rotation 0. */
  readonly previous?: string;
}

/**
 * The three authkeys a rotation goes through, each on both nodes before the next: accept the new
 * key, sign with it, drop the old one. Heartbeat accepts every key listed, so no node ever
 * rejects the other's heartbeats and nothing fails over.
 */
export function authkeysStages(rotation: number, keys: AuthkeysMaterial) {
  const now = { index: authkeysIndex(rotation), secret: keys.current };
  const before =
    rotation > 0 && keys.previous !== undefined
      ? { index: authkeysIndex(rotation - 1), secret: keys.previous }
      : undefined;
  const both = before ? [before, now] : [now];
  return {
    accept: { signing: (before ?? now).index, keys: both },
    sign: { signing: now.index, keys: both },
    final: { signing: now.index, keys: [now] },
  } satisfies Record<string, AuthkeysSecret>;
}
