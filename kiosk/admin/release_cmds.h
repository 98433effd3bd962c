// The release commands of sportello-admin (release_cmds.cpp). Each takes main's argc/argv with
// argv[1] the command name and returns the exit code: 0 done, 1 failure or refusal, 2 bad usage.
#pragma once

int admin_keygen(int argc, char** argv);   // keygen --out DIR [--no-passphrase]
int admin_release(int argc, char** argv);  // release --pack PACK [--map FILE] --key SECRET... --out DIR
int admin_verify(int argc, char** argv);   // verify --release DIR --trust PUBFILE... [--threshold N]
