import { readFileSync } from "node:fs";
import { join } from "node:path";
import Mustache from "mustache";

/** Where every file a node receives is written down. */
const templatesDir = join(__dirname, "..", "templates");

const cache = new Map<string, string>();

function load(relative: string): string {
  let text = cache.get(relative);
  if (text === undefined) {
    text = readFileSync(join(templatesDir, relative), "utf8");
    cache.set(relative, text);
  }
  return text;
}

/**
 * Renders `templates/<relative>` with the shared partials. No HTML escaping: these are config
 * files, and `&` or `<` in a value must reach the node as typed.
 */
export function renderTemplate(relative: string, view: object): string {
  const partials = {
    header: load("partials/header.mustache"),
    "service-control": load("steps/service-control.mustache"),
    "authkeys-stage": load("steps/authkeys-stage.mustache"),
    "authkeys-final": load("steps/authkeys-final.mustache"),
    "authkeys-mtime": load("steps/authkeys-mtime.mustache"),
    "authkeys-switch": load("steps/authkeys-switch.mustache"),
    "disk-probe": load("steps/disk-probe.mustache"),
    "squid-apparmor-paths": load("steps/squid-apparmor-paths.mustache"),
  };
  return Mustache.render(load(relative), view, partials, { escape: (value: string) => value });
}
