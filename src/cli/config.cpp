// `mailwarden config --defaults | --check | --show`: the setting table as TOML, and validation.
#include "cli/commands.hpp"

namespace mw::cli {
namespace {

struct ConfigArgs {
    bool defaults = false;
    bool check = false;
    bool show = false;
};

int run_config(Context& ctx, const ConfigArgs& args) {
    if (args.defaults + args.check + args.show != 1)
        throw CommandError{kExitUsage, "config needs exactly one of --defaults, --check, --show"};
    if (args.defaults) {
        ctx.io.out << config::defaults_toml();
        return kExitOk;
    }
    if (args.check && !ctx.config_file)
        throw CommandError{kExitUsage, "config --check needs the file: --config FILE"};
    const config::Settings settings = ctx.load_settings();
    if (args.check)
        ctx.io.out << ctx.config_file->string() << ": ok\n";
    else
        ctx.io.out << config::render_settings_toml(settings, false);
    return kExitOk;
}

}  // namespace

void add_config_command(CLI::App& app, Context& ctx) {
    auto* cmd = app.add_subcommand("config", "Print or check the configuration");
    auto args = std::make_shared<ConfigArgs>();
    cmd->add_flag("--defaults", args->defaults,
                  "Print every setting with its default and a one-line doc, as TOML");
    cmd->add_flag("--check", args->check, "Validate --config FILE; exit 1 naming the first error");
    cmd->add_flag("--show", args->show,
                  "Print the effective settings (file, defaults and --data-dir resolved)");
    add_global_options(*cmd, ctx);
    cmd->callback([&ctx, args] { ctx.action = [&ctx, args] { return run_config(ctx, *args); }; });
}

}  // namespace mw::cli
