import type { Cluster, ClusterNode } from "../model/cluster";
import { AuthkeysSecret, NodeFile, Reader } from "./node-file";
import { stonithConfigPaths } from "./stonith-config";
import { usesIpmi } from "./stonith-environment";
import { renderTemplate } from "./templates";
import { nodeView, zoneView } from "./view";

interface FileSpec {
  readonly id: string;
  readonly path: string;
  readonly template: string;
  readonly mode?: string;
  readonly owner?: string;
  readonly group?: string;
  readonly secret?: boolean;
  readonly secretMask?: NodeFile["secretMask"];
  readonly secretDigest?: boolean;
  readonly keepPrevious?: boolean;
  readonly kind?: NodeFile["kind"];
  readonly comment?: string;
  readonly extra?: object;
  readonly readBy?: Reader;
  readonly supersedes?: string;
}

/** `specs` where `condition` holds, none otherwise. */
function when(condition: boolean, ...specs: FileSpec[]): FileSpec[] {
  return condition ? specs : [];
}

/**
 * Every file one node receives, rendered. Files that live on the replicated volume (the managed
 * squid.conf and named.conf) are listed for the preferred primary only, at their path on the
 * volume: the other node sees them through the volume after a failover.
 */
export function renderNodeFiles(
  cluster: Cluster,
  node: ClusterNode,
  authkeys: AuthkeysSecret,
): NodeFile[] {
  const { config } = cluster;
  const view = nodeView(cluster, node, authkeys);
  const specs: FileSpec[] = [
    { id: "hosts", path: "/etc/hosts", template: "etc/hosts.mustache", kind: "block" },
    {
      id: "drbd-config",
      readBy: "drbd",
      path: `/etc/drbd.d/${config.drbd.resource}.res`,
      // Two files for one device and drbdadm refuses both: the one of an older name goes.
      supersedes: "/etc/drbd.d/*.res",
      template: "etc/drbd.d/resource.res.mustache",
    },
    {
      id: "ha-cf",
      readBy: "heartbeat",
      path: "/etc/ha.d/ha.cf",
      template: "etc/ha.d/ha.cf.mustache",
    },
    {
      id: "haresources",
      readBy: "heartbeat",
      path: "/etc/ha.d/haresources",
      template: "etc/ha.d/haresources.mustache",
    },
    {
      id: "authkeys",
      readBy: "heartbeat-keys",
      path: "/etc/ha.d/authkeys",
      template: "etc/ha.d/authkeys.mustache",
      mode: "0600",
      secret: true,
      secretMask: "authkeys",
    },
    {
      id: "resource-script",
      readBy: "heartbeat",
      path: "/etc/ha.d/resource.d/hacluster-services",
      template: "etc/ha.d/resource.d/hacluster-services.mustache",
      mode: "0755",
    },
    // external/ipmi: the environment heartbeat hands its STONITH plugin, before the config
    // that makes heartbeat run the plugin.
    ...when(
      usesIpmi(cluster),
      {
        id: "heartbeat-unit-env",
        readBy: "heartbeat-environment",
        path: "/etc/systemd/system/heartbeat.service.d/hacluster-stonith.conf",
        template: "etc/systemd/system/heartbeat.service.d/hacluster-stonith.conf.mustache",
      },
      {
        // A marked block: a node's own settings for the init script stay.
        id: "heartbeat-defaults",
        readBy: "heartbeat-environment",
        path: "/etc/default/heartbeat",
        template: "etc/default/heartbeat.mustache",
        kind: "block",
      },
      {
        id: "stonith-ipmi-cfg",
        readBy: "heartbeat",
        path: stonithConfigPaths.ipmi,
        template: "etc/ha.d/stonith-ipmi.cfg.mustache",
        mode: "0600",
        // It holds the peer's BMC password, which may be set again alone.
        secret: true,
        secretMask: "stonith-password",
        secretDigest: true,
      },
    ),
    // The peer's name, for every plugin but none, external/ipmi included, where ha.cf names the
    // file above instead: leaving external/ipmi then finds it in place, and nothing reloads
    // heartbeat before ha.cf names another plugin (a plain `heartbeat -r` while ha.cf still
    // names external/ipmi hands ipmitool the password on its command line). Its content is
    // therefore the same whatever the plugin; with external/ipmi nothing rereads it, and it
    // keeps no copy of what it replaces (an earlier release wrote the IPMI line, password and
    // all, into this path).
    ...when(config.stonith.type !== "none", {
      id: "stonith-cfg",
      path: stonithConfigPaths.plain,
      template: "etc/ha.d/stonith.cfg.mustache",
      mode: "0600",
      ...(usesIpmi(cluster) ? { keepPrevious: false } : { readBy: "heartbeat" as const }),
    }),
    ...when(config.drbd.kernelModule.mode === "source", {
      id: "drbd-kernel-hook",
      path: "/etc/kernel/postinst.d/hacluster-drbd",
      template: "etc/kernel/postinst.d/hacluster-drbd.mustache",
      mode: "0755",
    }),
    {
      id: "log-backup",
      path: "/usr/local/sbin/hacluster-log-backup",
      template: "usr/local/sbin/hacluster-log-backup.mustache",
      mode: "0755",
    },
    {
      id: "drbd-reconnect",
      path: "/usr/local/sbin/hacluster-drbd-reconnect",
      template: "usr/local/sbin/hacluster-drbd-reconnect.mustache",
      mode: "0755",
    },
    {
      id: "network-script",
      readBy: "network",
      path: "/usr/local/sbin/hacluster-network",
      template: "usr/local/sbin/hacluster-network.mustache",
      mode: "0755",
    },
    {
      id: "network-unit",
      readBy: "systemd",
      path: "/etc/systemd/system/hacluster-network.service",
      template: "etc/systemd/system/hacluster-network.service.mustache",
    },
    ...when(config.ntpServers.length > 0, {
      id: "timesyncd",
      readBy: "timesyncd",
      path: "/etc/systemd/timesyncd.conf.d/hacluster.conf",
      template: "etc/systemd/timesyncd.conf.d/hacluster.conf.mustache",
    }),
    { id: "cron", path: "/etc/cron.d/hacluster", template: "etc/cron.d/hacluster.mustache" },
    {
      id: "logrotate",
      path: "/etc/logrotate.d/heartbeat",
      template: "etc/logrotate.d/heartbeat.mustache",
    },
    {
      id: "apparmor-named",
      readBy: "apparmor",
      path: "/etc/apparmor.d/local/usr.sbin.named",
      template: "etc/apparmor.d/local/usr.sbin.named.mustache",
    },
    {
      id: "apparmor-squid",
      readBy: "apparmor",
      path: "/etc/apparmor.d/local/usr.sbin.squid",
      template: "etc/apparmor.d/local/usr.sbin.squid.mustache",
    },
    ...when(
      cluster.squidConfined,
      {
        id: "squid-apparmor-script",
        path: "/usr/local/sbin/hacluster-squid-apparmor",
        template: "usr/local/sbin/hacluster-squid-apparmor.mustache",
        mode: "0755",
      },
      {
        id: "squid-apparmor-loader",
        readBy: "systemd-next-start",
        path: "/etc/systemd/system/hacluster-squid-apparmor.service",
        template: "etc/systemd/system/hacluster-squid-apparmor.service.mustache",
      },
      {
        id: "squid-apparmor-unit",
        readBy: "systemd-next-start",
        path: "/etc/systemd/system/squid.service.d/hacluster-apparmor.conf",
        template: "etc/systemd/system/squid.service.d/hacluster-apparmor.conf.mustache",
      },
    ),
    { id: "resolv-conf", path: "/etc/resolv.conf", template: "etc/resolv.conf.mustache" },
    ...serviceConfigSpecs(cluster, node),
  ];
  return specs.map((spec) => {
    const onVolume = volumePath(cluster, spec.path);
    return {
      id: spec.id,
      path: onVolume ?? spec.path,
      mode: spec.mode ?? "0644",
      owner: spec.owner ?? "root",
      group: spec.group ?? "root",
      secret: spec.secret ?? false,
      ...(spec.secretMask === undefined ? {} : { secretMask: spec.secretMask }),
      ...(spec.secretDigest ? { secretDigest: true } : {}),
      ...(spec.keepPrevious === undefined ? {} : { keepPrevious: spec.keepPrevious }),
      kind: spec.kind ?? "file",
      readBy: spec.readBy,
      supersedes: spec.supersedes,
      onReplicatedVolume: onVolume !== undefined,
      content: renderTemplate(spec.template, {
        ...view,
        comment: spec.comment ?? "#",
        ...spec.extra,
      }),
    };
  });
}

/** The managed squid.conf, named.conf and zone files, for the preferred primary. */
function serviceConfigSpecs(cluster: Cluster, node: ClusterNode): FileSpec[] {
  const { squid, named } = cluster.config.services;
  if (!node.preferred) return [];
  return [
    ...when(squid.enabled && squid.manageConfig, {
      id: "squid-conf",
      readBy: "squid",
      path: "/etc/squid/squid.conf",
      template: "etc/squid/squid.conf.mustache",
    }),
    ...when(
      named.enabled && named.manageConfig,
      {
        id: "named-conf",
        readBy: "named",
        path: "/etc/bind/named.conf",
        template: "etc/bind/named.conf.mustache",
        group: "bind",
      },
      ...named.zones.map((zone): FileSpec => ({
        id: `zone-${zone.name}`,
        readBy: "named",
        path: `/etc/bind/zones/db.${zone.name}`,
        template: "etc/bind/zones/db.zone.mustache",
        group: "bind",
        comment: ";",
        extra: { zone: zoneView(zone) },
      })),
    ),
  ];
}

/** Where a path lands when one of the services' relocated folders holds it. */
function volumePath(cluster: Cluster, path: string): string | undefined {
  const relocated = cluster.relocations.find((r) => path.startsWith(`${r.path}/`));
  return relocated ? `${cluster.config.drbd.mountPoint}${path}` : undefined;
}
