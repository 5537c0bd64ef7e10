/**
 * The RelocatedPath provider against a real sshd on loopback: a path moved onto the replicated
 * volume is read back as the symlink it must be; what stands in its place is kept aside, never
 * deleted, and the link restored.
 */
import { RelocatedPathProvider } from "../../components/remote-file/relocated-path-provider";
import type { RelocatedPathInputs } from "../../components/remote-file/relocated-path-props";
import { relocatedPathScripts, relocationTarget } from "../../render/relocated-path-scripts";
import { LoopbackNode } from "../support/loopback-node";
import { stackConfig } from "../support/remote-file-inputs";

jest.setTimeout(60_000);

const mountPoint = "/var/lib/hacluster-test-volume";
const path = "/var/lib/hacluster-test/spool";
const target = relocationTarget(path, mountPoint);

let node: LoopbackNode;
let provider: RelocatedPathProvider;
let inputs: RelocatedPathInputs;

beforeAll(async () => {
  node = await LoopbackNode.start();
  provider = new RelocatedPathProvider();
  await provider.configure(stackConfig({ "hacluster:sshPrivateKey": node.clientKey }));
  inputs = {
    node: "proxycl1",
    path,
    mountPoint,
    target,
    connection: node.address(),
    scripts: relocatedPathScripts(path, mountPoint),
  };
});
afterAll(() => node?.stop());

/** The node as the relocate step leaves it: the data on the volume, the path a link to it. */
beforeEach(() => {
  node.run(
    `umount ${mountPoint} 2>/dev/null || true; rm -rf ${mountPoint} /var/lib/hacluster-test`,
  );
  node.holdVolume(mountPoint, true);
  node.run(
    `rm -rf ${mountPoint}/* && mkdir -p ${target} $(dirname ${path}) && echo cached >${target}/data && ln -s ${target} ${path}`,
  );
});

const ls = (glob: string) => node.run(`ls -d ${glob} 2>/dev/null || true`);

describe("a RelocatedPath", () => {
  it("adopts a path that is the symlink into the volume, changing nothing", async () => {
    const { id, outs } = await provider.create(inputs);
    expect(id).toBe("proxycl1:/var/lib/hacluster-test/spool");
    expect(outs).toMatchObject({
      found: "symlink",
      linkTarget: target,
      keptAside: "",
      lastRepair: `unchanged: ${path} links to ${target}`,
    });
    const { props } = await provider.read(id, outs!);
    expect((await provider.diff(id, props, inputs)).changes).toBe(false);
  });

  it("keeps aside a folder made in the link's place, names it, and links again", async () => {
    const { id, outs } = await provider.create(inputs);
    // A package upgrade made its folder again, and the service wrote into it.
    node.run(`rm ${path} && mkdir ${path} && echo written-meanwhile >${path}/new`);
    const { props } = await provider.read(id, outs!);
    expect(props).toMatchObject({ found: "directory", linkTarget: "" });
    expect(await provider.diff(id, props, inputs)).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: true,
    });

    const { outs: repaired } = await provider.update(id, props, inputs);
    expect(repaired).toMatchObject({ found: "symlink", linkTarget: target });
    expect(repaired!.keptAside).toMatch(
      /^\/var\/lib\/hacluster-test\/spool\.hacluster-drift-\d{8}-\d{6}$/,
    );
    expect(repaired!.lastRepair).toBe(
      `changed: kept ${path} as ${repaired!.keptAside}; linked ${path} to ${target}`,
    );
    expect(node.run(`cat ${repaired!.keptAside}/new`)).toBe("written-meanwhile");
    expect(node.run(`cat ${path}/data`)).toBe("cached");
    // A later refresh keeps naming what was kept aside.
    expect((await provider.read(id, repaired!)).props.keptAside).toBe(repaired!.keptAside);
  });

  it("relinks a symlink that points elsewhere, keeping the old link", async () => {
    const { id, outs } = await provider.create(inputs);
    node.run(`rm ${path} && ln -s /srv/elsewhere ${path}`);
    const { props } = await provider.read(id, outs!);
    expect(props).toMatchObject({ found: "symlink", linkTarget: "/srv/elsewhere" });
    expect((await provider.diff(id, props, inputs)).changes).toBe(true);
    const { outs: repaired } = await provider.update(id, props, inputs);
    expect(repaired).toMatchObject({ found: "symlink", linkTarget: target });
    expect(node.run(`readlink ${repaired!.keptAside}`)).toBe("/srv/elsewhere");
  });

  it("refuses to link where the volume it holds has no data for the path", async () => {
    node.run(`rm -rf ${target} && rm ${path} && mkdir ${path}`);
    await expect(provider.create(inputs)).rejects.toThrow(
      `proxycl1:${path}: repair failed (exit 1): ${target} is not on the volume; pulumi up's relocate step puts it there first`,
    );
    expect(node.run(`[ -d ${path} ] && [ ! -L ${path} ] && echo kept`)).toBe("kept");
    expect(ls(`${path}.hacluster-drift-*`)).toBe("");
  });

  it("links again on the node without the volume, keeping the folder aside", async () => {
    node.holdVolume(mountPoint, false);
    node.run(`rm ${path} && mkdir ${path}`);
    const { outs } = await provider.create(inputs);
    expect(outs).toMatchObject({ found: "symlink", linkTarget: target });
    expect(ls(`${path}.hacluster-drift-*`)).toBe(outs!.keptAside);
  });
});
