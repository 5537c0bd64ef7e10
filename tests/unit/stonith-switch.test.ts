/**
 * Switching a running cluster between external/ipmi and a plugin without secrets (meatware):
 * what the plan adds and removes, as the lab keys it (`<node>/<id>`) and as the engine names it
 * (`<node>:<path>`), in which order heartbeat is reloaded, and with what. The same switch runs
 * against a real heartbeat in tests/tools/stonith-switch.test.ts.
 */
import { planSteps } from "../../render/plan";
import { heartbeatHangup } from "../../render/stonith-environment";
import { Step, stepKey } from "../../render/step";
import { ipmiCluster } from "../support/ipmi";
import { clusterOf, stackValues, withValue } from "../support/stacks";

const lab = stackValues("lab");
const meatware = planSteps(clusterOf("lab", withValue(lab, "stonith", { type: "meatware" })), "k");
const ipmi = planSteps(ipmiCluster("lab", lab), "k");
const prod = planSteps(clusterOf("prod"), "k");

/** The engine's name of a step's resource: a file's `<node>:<path>`, a command's `<node>-<id>`. */
const resourceName = (s: Step) =>
  s.resource?.kind === "file" ? `${s.node}:${s.resource.file.path}` : `${s.node}-${s.id}`;
/** What one plan has and the other has not, by the lab's keys and by the engine's names. */
function added(from: Step[][], to: Step[][]) {
  const keys = new Set(from.flat().map(stepKey));
  const names = new Set(from.flat().map(resourceName));
  return {
    lab: to
      .flat()
      .map(stepKey)
      .filter((k) => !keys.has(k)),
    engine: to
      .flat()
      .map(resourceName)
      .filter((n) => !names.has(n)),
  };
}
const step = (plan: Step[][], id: string, node = 0) => plan[node].find((s) => s.id === id)!;
const plainReload =
  'if /usr/libexec/heartbeat/heartbeat -s >/dev/null 2>&1; then /usr/libexec/heartbeat/heartbeat -r >/dev/null; did="heartbeat reloaded"; fi';

describe("switching between meatware and external/ipmi", () => {
  it("adds the ipmi file and heartbeat's environment, for the lab and the engine alike", () => {
    const both = (id: string, path: string) => ({
      lab: [`proxycl1/${id}`, `proxycl2/${id}`],
      engine: [`proxycl1:${path}`, `proxycl2:${path}`],
    });
    const env = both(
      "heartbeat-unit-env",
      "/etc/systemd/system/heartbeat.service.d/hacluster-stonith.conf",
    );
    const defaults = both("heartbeat-defaults", "/etc/default/heartbeat");
    const file = both("stonith-ipmi-cfg", "/etc/ha.d/stonith-ipmi.cfg");
    const sorted = (xs: string[]) => [...xs].sort();
    const there = added(meatware, ipmi);
    expect(sorted(there.lab)).toEqual(sorted([...env.lab, ...defaults.lab, ...file.lab]));
    expect(sorted(there.engine)).toEqual(
      sorted([...env.engine, ...defaults.engine, ...file.engine]),
    );
    // ...and back: the same removed (each run by its delete, after everything else), none added.
    expect(added(ipmi, meatware)).toEqual({ lab: [], engine: [] });
    expect(sorted(added(meatware, ipmi).lab)).toEqual(sorted(there.lab));
  });

  it("keeps stonith.cfg as it is on the node both ways: nothing rewrites or rereads it", () => {
    const there = step(ipmi, "stonith-cfg");
    const back = step(meatware, "stonith-cfg");
    expect(resourceName(there)).toBe(resourceName(back));
    expect(there.stdin).toBe(back.stdin);
    expect(there.create).not.toContain("heartbeat -r");
    expect(back.create).toContain(plainReload);
  });

  it("writes the new plugin's file before ha.cf, and ha.cf before anything else heartbeat reads", () => {
    for (const plan of [ipmi, meatware, prod]) {
      const ids = plan[0].map((s) => s.id);
      const rereadBefore = plan[0]
        .filter((s) => s.create.includes("heartbeat -r"))
        .filter((s) => ids.indexOf(s.id) < ids.indexOf("ha-cf"))
        .map((s) => s.id);
      // Before ha.cf, only the file of the plugin ha.cf will name may be reread.
      expect(rereadBefore).toEqual([plan === ipmi ? "stonith-ipmi-cfg" : "stonith-cfg"]);
    }
    const ids = ipmi[0].map((s) => s.id);
    expect(ids.indexOf("heartbeat-unit-env")).toBeLessThan(ids.indexOf("stonith-ipmi-cfg"));
    expect(ids.indexOf("heartbeat-defaults")).toBeLessThan(ids.indexOf("stonith-ipmi-cfg"));
    // A node an earlier release wrote names stonith.cfg in ha.cf until ha.cf is rewritten.
    expect(ids.indexOf("stonith-ipmi-cfg")).toBeLessThan(ids.indexOf("stonith-cfg"));
    expect(ids.indexOf("stonith-cfg")).toBeLessThan(ids.indexOf("ha-cf"));
  });

  it("reloads heartbeat into external/ipmi only where it runs with passwd_method=env", () => {
    const reloads = (s: Step) =>
      s.create.includes("/usr/libexec/heartbeat/heartbeat -r") ||
      s.create.includes('kill -HUP "$pid"');
    const reloading = ipmi.flat().filter(reloads);
    expect(reloading.map((s) => s.id).sort()).toEqual(
      [
        "authkeys",
        "authkeys-accept",
        "authkeys-sign",
        "ha-cf",
        "haresources",
        "resource-script",
        "stonith-ipmi-cfg",
      ].flatMap((id) => [id, id]),
    );
    for (const s of reloading) {
      // Authkeys alone changed: the reload signal itself, once the environment is checked.
      const reload = s.id.startsWith("authkeys")
        ? 'kill -HUP "$pid"'
        : "env passwd_method=env /usr/libexec/heartbeat/heartbeat -r";
      expect([s.id, s.create]).toEqual([s.id, expect.stringContaining(reload)]);
      // The pid file pads its number with blanks: read, not $(cat).
      expect(s.create).toContain("{ read -r pid </var/run/heartbeat.pid; } 2>/dev/null");
      expect(s.create).toContain(`grep -qx 'passwd_method=env'`);
      expect(s.create).toContain(
        "restart heartbeat on the standby node (systemctl restart heartbeat), run /usr/share/heartbeat/hb_standby on the node that holds the services so that the standby node takes them, restart heartbeat on that node too, then run pulumi up again",
      );
      expect(s.create).not.toContain("$(cat /var/run/heartbeat.pid");
    }
  });

  it("reloads heartbeat as before with every other plugin", () => {
    for (const plan of [meatware, prod]) {
      const reloading = plan
        .flat()
        .filter((s) => s.create.includes("/usr/libexec/heartbeat/heartbeat -r"));
      expect(reloading.length).toBeGreaterThan(5);
      for (const s of reloading)
        expect([s.id, s.create.includes(plainReload)]).toEqual([s.id, true]);
      const keys = plan.flat().filter((s) => s.id.startsWith("authkeys"));
      expect(keys).toHaveLength(6);
      for (const s of keys)
        expect([s.id, s.create.includes(heartbeatHangup)]).toEqual([s.id, true]);
      expect(plan.flat().filter((s) => s.create.includes("passwd_method"))).toEqual([]);
    }
  });

  it("says, when heartbeat's environment is written, that a heartbeat running without it is refused", () => {
    for (const id of ["heartbeat-unit-env", "heartbeat-defaults"]) {
      const s = step(ipmi, id);
      expect(s.create).toContain("{ read -r pid </var/run/heartbeat.pid; } 2>/dev/null");
      expect(s.create).toContain("its next reload is refused");
    }
  });

  it("keeps no copy of what a file replaces where it may hold the BMC password", () => {
    const previous = "/var/backups/hacluster/previous";
    for (const id of ["stonith-ipmi-cfg", "stonith-cfg"]) {
      expect([id, step(ipmi, id).create.includes(previous)]).toEqual([id, false]);
    }
    // Files without a secret still keep one, stonith.cfg of the other plugins included.
    expect(step(meatware, "stonith-cfg").create).toContain(previous);
    expect(step(ipmi, "ha-cf").create).toContain(previous);
  });

  it("has systemd forget heartbeat's drop-in once its delete removed it", () => {
    expect(step(ipmi, "heartbeat-unit-env").delete).toContain(
      "if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi",
    );
    // Only heartbeat's drop-in, and squid's AppArmor units.
    const squidUnits = ["squid-apparmor-unit", "squid-apparmor-loader"];
    for (const s of prod.flat().filter((s) => !squidUnits.includes(s.id)))
      expect([s.id, s.delete?.includes("daemon-reload")]).not.toEqual([s.id, true]);
    expect(step(meatware, "squid-apparmor-unit").delete).toContain("systemctl daemon-reload");
  });
});
