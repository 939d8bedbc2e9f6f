import HasimKernel

/// Seed 000's second design: replication behind a VIP. The application dials the VIP;
/// after monitoring alerts and a DBA has understood the failure, the DBA promotes the
/// replica and moves the VIP by hand (ip addr del over ssh on the old primary when it
/// answers, ip addr add + gratuitous ARP on the new one). No redeploy: that is what the
/// VIP buys over plain replication, and a VIP cannot leave its L2 domain.
public enum VIPManual {
    public static let descriptor: StrategyDescriptor = {
        let manual = ManualFailover.descriptor
        // The manual runbook, with the VIP as the front door.
        let options = manual.options.map { o in
            o.name == "front_door"
                ? OptionSpec(o.name, o.kind, default: .string("vip"), help: o.help, source: "vip-manual: the DBA moves the VIP", choices: o.choices, range: o.range)
                : o
        }
        return StrategyDescriptor(
            name: "vip-manual",
            summary: "Async replica behind a VIP; monitoring alerts, a DBA promotes the replica and moves the VIP by hand (no redeploy).",
            options: options,
            validate: manual.validate,
            validateOptions: manual.validateOptions).supporting(manual.operatorActions)
    }()
}
