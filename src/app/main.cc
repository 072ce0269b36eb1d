// lvyuan: the command line. `lvyuan --help` lists the verbs; each has --help.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "app/audit_cli.h"
#include "app/backup_cli.h"
#include "app/config.h"
#include "app/record_cli.h"
#include "app/runtime.h"
#include "app/witness_cli.h"

namespace {

using lvyuan::app::Runtime;

// Exit codes, documented in docs/cli.md.
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitBadConfig = 2;

int Fail(const lvyuan::core::Error& e, int code = kExitFailure) {
  std::cerr << "lvyuan: " << e.message;
  if (!e.field.empty()) std::cerr << " [" << e.field << "]";
  std::cerr << "\n";
  return code;
}

// Reads a password from --password or, when absent, one line of standard input.
std::string PasswordFrom(const std::string& given) {
  if (!given.empty()) return given;
  if (::isatty(STDIN_FILENO)) std::cerr << "密码 (password): " << std::flush;
  std::string line;
  std::getline(std::cin, line);
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  auto log = spdlog::stderr_color_mt("lvyuan");
  spdlog::set_default_logger(log);

  CLI::App cli{
      "绿源 lvyuan — 环境资源执法司法协同平台 (environmental enforcement–judicial collaboration)"};
  cli.require_subcommand(1);
  lvyuan::app::CommonOptions common;
  auto add_common = [&common](CLI::App* sub) {
    sub->add_option("--config", common.config_file, "lvyuan.toml to read (default: none)");
    sub->add_option("--data", common.data_dir,
                    "deployment directory: database, keys and files (default: var)");
  };

  auto* serve = cli.add_subcommand("serve", "Run the server");
  add_common(serve);
  serve->add_option("--listen", common.listen, "HOST:PORT to listen on (overrides server.listen)");

  auto* migrate = cli.add_subcommand("migrate", "Create or upgrade the database schema");
  add_common(migrate);

  auto* demo = cli.add_subcommand("demo", "Create the demo deployment (idempotent)");
  add_common(demo);
  std::string demo_password = "Lvyuan@2026demo";
  bool demo_totp = false;
  demo->add_option("--password", demo_password, "password of every demo account");
  demo->add_flag("--totp", demo_totp, "require TOTP of the roles that need it (default: exempt)");
  std::int64_t demo_matters = 0;
  demo->add_option("--matters", demo_matters,
                   "top the deployment up to this many matters (county bureaus of all Zhejiang)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{100'000'000}));

  auto* version = cli.add_subcommand("version", "Print the version");

  auto* audit = cli.add_subcommand("audit", "Check the whole-process record");
  audit->require_subcommand(1);
  auto* audit_verify = audit->add_subcommand(
      "verify", "Re-verify every event, tree node, checkpoint and stored file (exit 3 on failure)");
  add_common(audit_verify);

  auto* record_cmd =
      cli.add_subcommand("record", "The whole-process record: evidence bundles and witnesses");
  record_cmd->require_subcommand(1);
  lvyuan::app::WitnessOptions witness_opts;
  std::string witness_key_file;
  auto* record_witness = record_cmd->add_subcommand(
      "witness", "Check a deployment's latest checkpoint and cosign it (exit 4 when refused)");
  record_witness->add_option("--url", witness_opts.url, "the deployment, http://HOST:PORT")
      ->required();
  record_witness->add_option("--name", witness_opts.name, "this witness's name")->required();
  record_witness->add_option("--key", witness_key_file, "this witness's private key (PEM, 0600)")
      ->required();
  record_witness
      ->add_option("--state", witness_opts.state_file,
                   "state file: the deployment key and the last cosigned checkpoint")
      ->required();
  record_witness->add_option("--trust-key", witness_opts.trust_key_file,
                             "the deployment's public key PEM (default: trust on first use)");
  record_witness->add_flag("--create-key", witness_opts.create_key,
                           "create --key when it does not exist");
  record_witness->add_option("--algorithm", witness_opts.algorithm,
                             "algorithm of a created key: sm2 (default) or ed25519");
  auto* record_witness_key = record_cmd->add_subcommand(
      "witness-key", "Print a witness's public key (creating the key with --create-key)");
  record_witness_key->add_option("--key", witness_key_file, "the witness's private key (PEM)")
      ->required();
  record_witness_key->add_flag("--create-key", witness_opts.create_key,
                               "create --key when it does not exist");
  record_witness_key->add_option("--algorithm", witness_opts.algorithm,
                                 "algorithm of a created key: sm2 (default) or ed25519");
  std::string witness_public_key;
  auto* record_witness_add = record_cmd->add_subcommand(
      "witness-add", "Accept a witness's cosignatures on this deployment");
  add_common(record_witness_add);
  record_witness_add->add_option("--name", witness_opts.name, "the witness's name")->required();
  record_witness_add
      ->add_option("--key", witness_public_key, "the witness's public key (PEM file or text)")
      ->required();
  std::string export_object, export_out;
  auto* record_export = record_cmd->add_subcommand(
      "export", "Export an object's evidence bundle for lvyuan-verify (exit 3: no events)");
  add_common(record_export);
  record_export->add_option("--object", export_object, "the object, TYPE:ID (e.g. unit:3)")
      ->required();
  record_export->add_option("--out", export_out,
                            "bundle file or directory (default: the current directory)");

  std::string backup_out, restore_from, migrate_from, migrate_to;
  auto* backup = cli.add_subcommand(
      "backup",
      "Write a consistent online backup (database as SQLite, keys, evidence files, MANIFEST.json)");
  add_common(backup);
  backup->add_option("--out", backup_out, "backup directory to create (must not exist or be empty)")
      ->required();
  auto* restore = cli.add_subcommand(
      "restore",
      "Restore a backup into an empty data directory and store, then verify the record (exit 3 "
      "when a file or the record fails verification)");
  add_common(restore);
  restore->add_option("--from", restore_from, "backup directory written by lvyuan backup")
      ->required();
  auto* migrate_store = cli.add_subcommand(
      "migrate-store",
      "Copy the database to another (empty) store and verify the record there; evidence files "
      "stay in the data directory, which both share (exit 3 when the record fails verification)");
  add_common(migrate_store);
  migrate_store->add_option("--from", migrate_from, "source store: sqlite:PATH or postgresql://…")
      ->required();
  migrate_store
      ->add_option("--to", migrate_to, "target store (owner role): sqlite:PATH or postgresql://…")
      ->required();

  auto* user = cli.add_subcommand("user", "Manage user accounts");
  user->require_subcommand(1);
  std::string username, display_name, unit, password;
  std::vector<std::string> roles;
  bool totp_exempt = false;
  auto* user_add = user->add_subcommand("add", "Add a user");
  add_common(user_add);
  user_add->add_option("--username", username, "login name")->required();
  user_add->add_option("--name", display_name, "display name (default: the login name)");
  user_add->add_option("--unit", unit, "unit id or exact unit name")->required();
  user_add->add_option("--role", roles, "role code (repeatable)");
  user_add->add_option("--password", password, "initial password (default: read stdin)");
  user_add->add_flag("--totp-exempt", totp_exempt, "exempt from the mandatory TOTP");
  auto* user_passwd = user->add_subcommand("passwd", "Set a user's password");
  add_common(user_passwd);
  user_passwd->add_option("--username", username, "login name")->required();
  user_passwd->add_option("--password", password, "new password (default: read stdin)");
  auto* user_disable = user->add_subcommand("disable", "Disable a user and end its sessions");
  add_common(user_disable);
  user_disable->add_option("--username", username, "login name")->required();
  auto* user_totp = user->add_subcommand("totp-reset", "Clear a user's TOTP so it enrols again");
  add_common(user_totp);
  user_totp->add_option("--username", username, "login name")->required();

  auto* unit_cmd = cli.add_subcommand("unit", "Manage member units");
  unit_cmd->require_subcommand(1);
  lvyuan::domain::UnitInput unit_in;
  std::string parent;
  auto* unit_add = unit_cmd->add_subcommand("add", "Add a member unit");
  add_common(unit_add);
  unit_add->add_option("--name", unit_in.name, "unit name")->required();
  unit_add->add_option("--type", unit_in.type, "unit type code (data/dicts/unit_types.json)")
      ->required();
  unit_add->add_option("--region", unit_in.region_code, "region code (GB/T 2260)")->required();
  unit_add->add_option("--parent", parent, "parent unit id or exact name");
  unit_add->add_option("--contact", unit_in.contact_person, "contact person");
  unit_add->add_option("--phone", unit_in.contact_phone, "contact phone");

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help answers 0; any usage error is a bad invocation: 2.
    return cli.exit(e) == 0 ? kExitOk : kExitBadConfig;
  }

  if (version->parsed()) {
    std::cout << "lvyuan " << lvyuan::app::kVersion << "\n";
    return kExitOk;
  }

  // The witness verbs run on the witness's machine: no deployment to open.
  if (record_witness->parsed()) {
    witness_opts.key_file = witness_key_file;
    return lvyuan::app::RunWitnessCommand(witness_opts, std::cout, std::cerr);
  }
  if (record_witness_key->parsed()) {
    return lvyuan::app::RunWitnessKey(witness_key_file, witness_opts.create_key,
                                      witness_opts.algorithm, std::cout, std::cerr);
  }

  // Moving data: the target may not be opened as a deployment first (that
  // would write to it), and a backup only reads its source.
  if (backup->parsed()) return lvyuan::app::RunBackup(common, backup_out, std::cout, std::cerr);
  if (restore->parsed()) {
    return lvyuan::app::RunRestore(common, restore_from, std::cout, std::cerr);
  }
  if (migrate_store->parsed()) {
    return lvyuan::app::RunMigrateStore(common, migrate_from, migrate_to, std::cout, std::cerr);
  }

  // Making many matters walks indexes of gigabytes and commits thousands of
  // transactions: the bulk-load store profile (Runtime's CommonOptions).
  if (demo->parsed() && demo_matters > 0) common.bulk_load = true;
  auto runtime = Runtime::Open(common, /*for_server=*/serve->parsed());
  if (!runtime.ok()) {
    const auto& e = runtime.error();
    bool config_error = e.code == lvyuan::core::ErrorCode::kInvalidArgument && !e.field.empty();
    return Fail(e, config_error ? kExitBadConfig : kExitFailure);
  }
  Runtime& rt = **runtime;

  if (serve->parsed()) {
    auto s = rt.Serve();
    return s.ok() ? kExitOk : Fail(s.error());
  }
  if (record_witness_add->parsed()) {
    return lvyuan::app::RunWitnessAdd(rt.db(), witness_opts.name, witness_public_key, std::cout,
                                      std::cerr);
  }
  if (record_export->parsed()) {
    return lvyuan::app::RunRecordExport(rt.db(), rt.log(), rt.signing_key(),
                                        rt.data_dir() / "files", export_object, export_out,
                                        std::cout, std::cerr);
  }
  if (audit_verify->parsed()) {
    return lvyuan::app::RunAuditVerify(rt.db(), rt.data_dir() / "files", std::cout, std::cerr,
                                       ::isatty(STDERR_FILENO) != 0);
  }
  if (migrate->parsed()) {
    auto v = rt.db().SchemaVersion();
    if (!v.ok()) return Fail(v.error());
    std::cout << "schema version " << *v << "\n";
    return kExitOk;
  }
  if (demo->parsed()) {
    auto accounts = rt.Demo(demo_password, demo_totp);
    if (!accounts.ok()) return Fail(accounts.error());
    std::cout << "演示数据已就绪 (demo deployment ready) in " << rt.data_dir().string() << "\n";
    std::cout << "密码 password: " << demo_password << "\n";
    for (const auto& a : *accounts) {
      std::printf("  %-16s %-20s %s%s\n", a.username.c_str(), a.role.c_str(), a.unit.c_str(),
                  a.created ? "" : "  (已存在 existed)");
    }
    if (demo_matters > 0) {
      const bool tty = ::isatty(STDERR_FILENO) != 0;
      const auto started = std::chrono::steady_clock::now();
      lvyuan::domain::DemoVolumeOptions volume;
      volume.matters = demo_matters;
      volume.password = demo_password;
      volume.progress = [&](std::int64_t done, std::int64_t target) {
        if (!tty) return;
        const double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        std::fprintf(stderr, "\r事项 matters %lld / %lld  (%.0f s)", static_cast<long long>(done),
                     static_cast<long long>(target), s);
      };
      auto made = rt.DemoVolume(volume);
      if (tty) std::fprintf(stderr, "\n");
      if (!made.ok()) return Fail(made.error());
      const double s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      std::printf("事项 matters: %lld → %lld (%d units added) in %.1f s\n",
                  static_cast<long long>(made->matters_before),
                  static_cast<long long>(made->matters_after), made->units_added, s);
    }
    return kExitOk;
  }
  const auto cli_principal = lvyuan::domain::Accounts::CommandLine();
  const lvyuan::domain::RequestMeta meta{"", "cli"};
  if (user_add->parsed()) {
    auto unit_id = rt.ResolveUnit(unit);
    if (!unit_id.ok()) return Fail(unit_id.error());
    lvyuan::domain::UserInput in;
    in.username = username;
    in.display_name = display_name.empty() ? username : display_name;
    in.unit_id = *unit_id;
    in.roles = roles;
    in.password = PasswordFrom(password);
    in.totp_exempt = totp_exempt;
    auto created = rt.accounts().CreateUser(cli_principal, in, meta);
    if (!created.ok()) return Fail(created.error());
    std::cout << "user " << created->username << " (id " << created->id << ") added\n";
    return kExitOk;
  }
  if (user_passwd->parsed() || user_disable->parsed()) {
    auto id = rt.ResolveUser(username);
    if (!id.ok()) return Fail(id.error());
    lvyuan::domain::UserPatch patch;
    if (user_passwd->parsed()) {
      patch.password = PasswordFrom(password);
    } else {
      patch.enabled = false;
    }
    auto updated = rt.accounts().UpdateUser(cli_principal, *id, patch, meta);
    if (!updated.ok()) return Fail(updated.error());
    std::cout << "user " << updated->username << " updated\n";
    return kExitOk;
  }
  if (user_totp->parsed()) {
    auto s = rt.accounts().ResetTotp(username, meta);
    if (!s.ok()) return Fail(s.error());
    std::cout << "TOTP of " << username << " cleared; the user enrols again at next login\n";
    return kExitOk;
  }
  if (unit_add->parsed()) {
    if (!parent.empty()) {
      auto parent_id = rt.ResolveUnit(parent);
      if (!parent_id.ok()) return Fail(parent_id.error());
      unit_in.parent_id = *parent_id;
    }
    auto created = rt.accounts().CreateUnit(cli_principal, unit_in, meta);
    if (!created.ok()) return Fail(created.error());
    std::cout << "unit " << created->name << " (id " << created->id << ") added\n";
    return kExitOk;
  }
  return kExitFailure;
}
