import * as pulumi from "@pulumi/pulumi";
import { bmcPasswordsFromEngine, clusterFromEngine } from "./components/engine-config";
import { HaCluster } from "./components/ha-cluster";

// Validation throws here, listing every problem, before any resource is registered.
const cluster = clusterFromEngine();
const config = new pulumi.Config();

const ha = new HaCluster("hacluster", {
  cluster,
  credentials: {
    privateKey: config.getSecret("sshPrivateKey"),
    privateKeyPassword: config.getSecret("sshPrivateKeyPassword"),
  },
  bmcPasswords:
    cluster.config.stonith.type === "external/ipmi" ? bmcPasswordsFromEngine(cluster) : undefined,
});

export const nodes = ha.nodes;
export const vip = ha.vip;
export const preferredPrimary = ha.preferredPrimary;
export const drbdDevice = ha.drbdDevice;
export const mountPoint = ha.mountPoint;
export const services = ha.services;
export const fileChecksums = ha.fileChecksums;
