/* policy_fixture.h: the design's example policy, with real keys. */
#ifndef JIT_POLICY_FIXTURE_H
#define JIT_POLICY_FIXTURE_H

#define KEY_ED "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEbMhFiYiyK4jkOMvf4kA8W9m6wdWQR6NmZDIj86Hkmc test-ed25519"
#define KEY_EC "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBIL6lWArFTuMmiebkRA+Zj0uHCkjaBvPscOjxv6MDKr//uke0BJJO4CZvWFvk/nC2Z1RUsJ8rVj+wP+5w6ceBkw= test-ecdsa256"

/* Line 1 is "users:", line 2 is alice (group dev), line 3 "roles:". */
#define USERS "users:\n  alice: { keys: [\"" KEY_ED "\"], groups: [dev] }\n"

static const char design_policy[] =
    "defaults: { ttl: 5m, max_ttl: 30m, clock_skew: 30s, mfa_grace: 0s, key_types: [ed25519, ecdsa, rsa] }\n"
    "users:\n"
    "  alice: { keys: [\"" KEY_ED "\"], groups: [dev] }\n"
    "  bob:   { keys: [\"" KEY_EC "\"], groups: [dev, sre] }\n"
    "  carol: { keys: [\"" KEY_ED "\"], groups: [sre-leads] }\n"
    "  dana:  { keys: [\"" KEY_ED "\"], groups: [audit] }\n"
    "roles:\n"
    "  dev:\n"
    "    groups: [dev]\n"
    "    principals: [\"{user}\", deploy]\n"
    "    ttl: 10m\n"
    "    max_ttl: 1h\n"
    "    mfa: required\n"
    "    extensions: [permit-pty, permit-port-forwarding]\n"
    "  prod-root:\n"
    "    groups: [sre]\n"
    "    principals: [root]\n"
    "    max_ttl: 15m\n"
    "    mfa: required\n"
    "    reason: required\n"
    "    source_address: requester\n"
    "    approval: { groups: [sre-leads], quorum: 1, pending_ttl: 15m }\n"
    "  db-maint:\n"
    "    groups: [dev]\n"
    "    principals: [postgres]\n"
    "    max_ttl: 2h\n"
    "    mfa: required\n"
    "    windows: [\"Sat 01:00-05:00 UTC\"]\n"
    "    from: [10.0.0.0/8, \"192.168.0.0/16\"]\n"
    "  breakglass:\n"
    "    groups: [sre]\n"
    "    principals: [root]\n"
    "    max_ttl: 10m\n"
    "    reason: required\n"
    "    break_glass: true\n"
    "  ci:\n"
    "    groups: [dev]\n"
    "    principals: [ci]\n"
    "    mfa: optional\n"
    "    key_types: [ed25519]\n"
    "    force_command: /usr/local/bin/deploy\n"
    "    source_address: [10.1.0.0/16, 10.2.0.0/16]\n"
    "auditors: [audit]\n"
    "notify: { command: /usr/local/bin/page-approvers }\n";

#endif /* JIT_POLICY_FIXTURE_H */
