import { z } from "zod";

/**
 * A heartbeat time: a number of seconds (`2`, `1.5`) or a string heartbeat itself accepts
 * (`"2"`, `"1.7"`, `"1700ms"`, `"2s"`). Parsed to whole milliseconds so that the cross-checks
 * compare like with like.
 */
export const duration = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const text = String(value).trim();
  const match = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text);
  if (!match) {
    ctx.addIssue({
      code: "custom",
      message: `is not a time; write seconds (2, 1.5) or milliseconds ("500ms")`,
    });
    return z.NEVER;
  }
  const amount = Number(match[1]);
  const ms = Math.round(match[2] === "ms" ? amount : amount * 1000);
  if (ms <= 0) {
    ctx.addIssue({ code: "custom", message: "must be longer than zero" });
    return z.NEVER;
  }
  return ms;
});

/** How ha.cf spells a time: whole seconds as `2`, anything finer as `1700ms`. */
export function haTime(ms: number): string {
  return ms % 1000 === 0 ? String(ms / 1000) : `${ms}ms`;
}

/** A time for people: `2 s`, `0.2 s`. */
export function seconds(ms: number): string {
  return `${ms / 1000} s`;
}

/**
 * A heartbeat time of at most `maxMs`. Above it, the number is more often a unit slip (1500
 * meant as milliseconds is 25 minutes) than a choice, and the message says how to write ms.
 */
export function durationUpTo(maxMs: number, why: string) {
  return duration.superRefine((ms, ctx) => {
    if (ms <= maxMs) return;
    const asMs = ms / 1000;
    ctx.addIssue({
      code: "custom",
      message: `is ${seconds(ms)}, longer than ${seconds(maxMs)}: ${why}. A plain number is seconds; milliseconds are written "${asMs}ms"`,
      params: { fix: asMs <= maxMs ? `${asMs}ms` : haTime(maxMs) },
    });
  });
}
