import * as pulumi from "@pulumi/pulumi";
import { asProgramString } from "../../model/stack-files";

/** What one resource registration looked like to the engine. */
export interface Registration {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
  readonly parent?: string;
  /** Names of the resources it waits for. */
  readonly dependsOn: string[];
  readonly ignoreChanges: string[];
  readonly deleteBeforeReplace: boolean;
  /** Outputs the engine is told to keep secret whatever the provider says. */
  readonly additionalSecretOutputs: string[];
}

const secretSig = "4dabf18193072939515e22adb298388d";

/** True when a value arrived at the engine wrapped as a secret. */
export function isSecretInput(value: unknown): boolean {
  return typeof value === "object" && value !== null && secretSig in value;
}

/** The plain value inside a secret wrapper, or the value itself. */
export function unwrap(value: unknown): unknown {
  return isSecretInput(value) ? (value as { value: unknown }).value : value;
}

export const mockKey = (name: string) => `generatedkey${name.replace(/[^a-z0-9]/gi, "")}`;

interface RegisterRequest {
  getName(): string;
  getParent(): string;
  getDependenciesList(): string[];
  getIgnorechangesList(): string[];
  getDeletebeforereplace(): boolean;
  getAdditionalsecretoutputsList(): string[];
}

const lastPart = (urn: string) => urn.split("::").pop()!;

/** The stack outputs (index.ts's exports) of the last program run. */
export let lastStackOutputs: Record<string, unknown> = {};

/**
 * Runs the Pulumi program (index.ts) of `stack` with `values` as its config under Pulumi's mocks,
 * and returns every registration once the program has settled.
 */
export async function runProgram(
  stack: string,
  values: Record<string, unknown>,
  secretValues: Record<string, string> = {},
  /** Filled as resources register, so that a caller sees them even when the program throws. */
  into: Registration[] = [],
): Promise<Registration[]> {
  const registered = new Map<string, { type: string; inputs: Record<string, unknown> }>();
  const requests: {
    name: string;
    parent?: string;
    dependsOn: string[];
    ignoreChanges: string[];
    deleteBeforeReplace: boolean;
    additionalSecretOutputs: string[];
  }[] = [];
  pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.set(args.name, { type: args.type, inputs: args.inputs });
        const state =
          args.type === "random:index/randomPassword:RandomPassword"
            ? { ...args.inputs, result: mockKey(args.name) }
            : { ...args.inputs, stdout: "unchanged: mock", stderr: "" };
        return { id: `${args.name}-id`, state };
      },
      call: (args) => {
        throw new Error(`Mock call not implemented: ${args.token}`);
      },
    },
    "hacluster",
    stack,
    false,
  );
  const config: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) config[`hacluster:${k}`] = asProgramString(v);
  for (const [k, v] of Object.entries(secretValues)) config[`hacluster:${k}`] = v;
  pulumi.runtime.setAllConfig(
    config,
    Object.keys(secretValues).map((k) => `hacluster:${k}`),
  );
  // The mocks' newResource is not told parents or dependencies; the monitor's request is.
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource: (req: RegisterRequest, callback: unknown) => unknown;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    requests.push({
      name: req.getName(),
      parent: req.getParent() ? lastPart(req.getParent()) : undefined,
      dependsOn: req.getDependenciesList().map(lastPart),
      ignoreChanges: req.getIgnorechangesList(),
      deleteBeforeReplace: req.getDeletebeforereplace(),
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
    });
    return register(req, callback);
  };

  const record = () => {
    into.length = 0;
    into.push(
      ...[...registered].map(([name, r]) => ({
        name,
        ...r,
        dependsOn: [],
        ignoreChanges: [],
        deleteBeforeReplace: false,
        additionalSecretOutputs: [],
      })),
    );
  };
  try {
    jest.isolateModules(() => {
      // The program is a module run for its effect: each run needs a fresh copy of it.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      lastStackOutputs = require("../../index");
    });
  } finally {
    // Registrations already sent, if any: the mock answers them on the next turns.
    await new Promise((r) => setTimeout(r, 100));
    record();
  }

  // Mocks answer in-process; wait until no new registration arrives.
  let count = -1;
  while (count !== registered.size + requests.length) {
    count = registered.size + requests.length;
    await new Promise((r) => setTimeout(r, 50));
  }
  const byName = new Map(requests.map((o) => [o.name, o]));
  return [...registered].map(([name, r]) => ({
    name,
    ...r,
    parent: byName.get(name)?.parent,
    dependsOn: byName.get(name)?.dependsOn ?? [],
    ignoreChanges: byName.get(name)?.ignoreChanges ?? [],
    deleteBeforeReplace: byName.get(name)?.deleteBeforeReplace ?? false,
    additionalSecretOutputs: byName.get(name)?.additionalSecretOutputs ?? [],
  }));
}
