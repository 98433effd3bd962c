// The commands of sportello-admin that talk to the hub (hub_cmds.cpp), over HTTPS with libcurl and
// the admin's API token. Each takes main's argc/argv with argv[1] the command name and returns the
// exit code: 0 done, 1 failure or refusal (the hub's reason printed), 2 bad usage.
#pragma once

// publish --hub URL --admin-token FILE [--group G ...|--all] [--ca-file PEM] DIR
int admin_publish(int argc, char** argv);
// revert --hub URL --admin-token FILE --to VERSION --key SECRET [--key ...] [--expires-days N] [--ca-file PEM]
int admin_revert(int argc, char** argv);
// status --hub URL --admin-token FILE [--ca-file PEM]
int admin_status(int argc, char** argv);
