// Writes the manual pages (tuntap.1, tuntap-SUBCOMMAND.1) and the bash completion of `tuntap` from
// the tool's own CLI11 app (build_app), so they list exactly what --help lists.
//   tuntap-docgen OUTPUT_DIR VERSION
#include <fmt/core.h>
#include <fmt/os.h>

#include <exception>
#include <string>
#include <vector>

#include "app.hpp"

namespace {

using tuntap::cli::build_app;

// Text for roff: backslashes and hyphens escaped, a control character at a line start defused.
std::string roff(const std::string& text) {
  std::string out;
  bool line_start = true;
  for (char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
    line_start = c == '\n';
  }
  return out;
}

// Paragraphs of a description: one roff line per source line, a break between them.
std::string roff_lines(const std::string& text) {
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    auto line = text.substr(start, end - start);
    if (!line.empty()) out += (out.empty() ? "" : ".br\n") + roff(line) + "\n";
    start = end + 1;
  }
  return out;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// The options --help shows (hidden ones have no group), positionals apart.
std::vector<const CLI::Option*> shown_options(const CLI::App& app, bool positional) {
  return app.get_options(
      [positional](const CLI::Option* o) { return !o->get_group().empty() && o->get_positional() == positional; });
}

// Flags take no value: CLI11 marks them with expected(0).
bool takes_value(const CLI::Option& o) { return o.get_expected_max() != 0 && o.get_type_size_max() != 0; }

std::string value_name(const CLI::Option& o) {
  if (!o.get_option_text().empty()) return o.get_option_text();
  if (!takes_value(o)) return "";
  return o.get_type_name();
}

// "\fB\-n\fR, \fB\-\-name\fR \fITEXT\fR"
std::string option_label(const CLI::Option& o) {
  std::string out;
  for (const auto& s : o.get_snames()) out += (out.empty() ? "" : ", ") + fmt::format("\\fB\\-{}\\fR", roff(s));
  for (const auto& l : o.get_lnames()) out += (out.empty() ? "" : ", ") + fmt::format("\\fB\\-\\-{}\\fR", roff(l));
  if (auto value = value_name(o); !value.empty()) out += fmt::format(" \\fI{}\\fR", roff(value));
  return out;
}

std::string option_item(const CLI::Option& o) {
  std::string out = ".TP\n" + option_label(o) + "\n" + roff_lines(o.get_description());
  if (!o.get_default_str().empty() && takes_value(o)) {
    out += ".br\nDefault: " + roff(o.get_default_str()) + ".\n";
  }
  if (o.get_required()) out += ".br\nRequired.\n";
  return out;
}

const char* kExitStatus = ".SH EXIT STATUS\n"
                          ".TP\n.B 0\nSuccess.\n"
                          ".TP\n.B 1\nRuntime error: the command was understood but failed; the message says why.\n"
                          ".TP\n.B 2\nUsage error: a wrong subcommand, option or value; nothing was changed.\n";

std::string header(const std::string& name, const std::string& version) {
  std::string upper;
  for (char c : name) upper += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return fmt::format(".TH {} 1 \"\" \"tuntap {}\" \"User Commands\"\n", roff(upper), roff(version));
}

std::string subcommand_page(const CLI::App& sub, const std::string& version) {
  std::string name = "tuntap-" + sub.get_name();
  std::string out = header(name, version);
  out += ".SH NAME\n" + roff(name) + " \\- " + roff(first_line(sub.get_description())) + "\n";
  out += ".SH SYNOPSIS\n.B tuntap " + roff(sub.get_name()) + "\n[\\fIOPTIONS\\fR]";
  for (const auto* p : shown_options(sub, true)) out += " \\fI" + roff(p->get_name()) + "\\fR";
  out += "\n.SH DESCRIPTION\n" + roff_lines(sub.get_description());
  if (auto positionals = shown_options(sub, true); !positionals.empty()) {
    out += ".SH ARGUMENTS\n";
    for (const auto* p : positionals) {
      out += ".TP\n\\fI" + roff(p->get_name()) + "\\fR\n" + roff_lines(p->get_description());
    }
  }
  out += ".SH OPTIONS\n";
  for (const auto* o : shown_options(sub, false)) out += option_item(*o);
  if (!sub.get_footer().empty()) out += ".SH NOTES\n" + roff_lines(sub.get_footer());
  out += kExitStatus;
  out += ".SH SEE ALSO\n.BR tuntap (1)\n";
  return out;
}

std::string main_page(const CLI::App& app, const std::vector<const CLI::App*>& subs, const std::string& version) {
  std::string out = header("tuntap", version);
  out += ".SH NAME\ntuntap \\- " + roff(first_line(app.get_description()).substr(std::string("tuntap: ").size())) +
         "\n";
  out += ".SH SYNOPSIS\n.B tuntap\n\\fISUBCOMMAND\\fR [\\fIOPTIONS\\fR]\n";
  out += ".SH DESCRIPTION\n" + roff_lines(app.get_description());
  out += ".SH OPTIONS\n";
  for (const auto* o : shown_options(app, false)) out += option_item(*o);
  out += ".SH SUBCOMMANDS\n";
  for (const auto* sub : subs) {
    out += ".TP\n.B " + roff(sub->get_name()) + "\n" + roff(first_line(sub->get_description())) + " (\\fBtuntap\\-" +
           roff(sub->get_name()) + "\\fR(1))\n";
  }
  out += kExitStatus;
  out += ".SH SEE ALSO\n";
  std::string refs;
  for (const auto* sub : subs) refs += (refs.empty() ? "" : ",\n") + (".BR tuntap\\-" + roff(sub->get_name()) + " (1)");
  out += refs + "\n";
  return out;
}

std::string words(const CLI::App& app) {
  std::string out;
  for (const auto* o : shown_options(app, false)) {
    for (const auto& s : o->get_snames()) out += (out.empty() ? "-" : " -") + s;
    for (const auto& l : o->get_lnames()) out += (out.empty() ? "--" : " --") + l;
  }
  return out;
}

// Options that take a value, so the word after them is not completed as an option.
std::string value_options(const CLI::App& app) {
  std::string out;
  for (const auto* o : shown_options(app, false)) {
    if (!takes_value(*o)) continue;
    for (const auto& s : o->get_snames()) out += (out.empty() ? "-" : "|-") + s;
    for (const auto& l : o->get_lnames()) out += (out.empty() ? "--" : "|--") + l;
  }
  return out;
}

std::string completion(const CLI::App& app, const std::vector<const CLI::App*>& subs) {
  std::string names;
  for (const auto* sub : subs) names += (names.empty() ? "" : " ") + sub->get_name();
  std::string out = "# bash completion for tuntap, generated from its command line (tuntap-docgen): do not edit.\n"
                    "_tuntap() {\n"
                    "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
                    "  if ((COMP_CWORD == 1)); then\n"
                    "    COMPREPLY=($(compgen -W \"" +
                    names + " " + words(app) +
                    "\" -- \"$cur\"))\n"
                    "    return\n"
                    "  fi\n"
                    "  local options values\n"
                    "  case ${COMP_WORDS[1]} in\n";
  for (const auto* sub : subs) {
    auto values = value_options(*sub);
    out += "    " + sub->get_name() + ") options=\"" + words(*sub) + "\"; values=\"" + values + "\" ;;\n";
  }
  out += "    *) return ;;\n"
         "  esac\n"
         "  # After an option that takes a value: the value is the user's (files as a fallback).\n"
         "  if [[ -n $values && \"|$values|\" == *\"|$prev|\"* ]]; then\n"
         "    COMPREPLY=($(compgen -f -- \"$cur\"))\n"
         "    return\n"
         "  fi\n"
         "  COMPREPLY=($(compgen -W \"$options\" -- \"$cur\"))\n"
         "}\n"
         "complete -F _tuntap tuntap\n";
  return out;
}

void write(const std::string& path, const std::string& text) {
  auto file = fmt::output_file(path);
  file.print("{}", text);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    fmt::print(stderr, "usage: tuntap-docgen OUTPUT_DIR VERSION\n");
    return 2;
  }
  try {
    std::string dir = argv[1];
    std::string version = argv[2];
    CLI::App app;
    auto runners = build_app(app);  // kept: options may be bound to the state runners own
    const CLI::App& described = app;
    auto subs = described.get_subcommands([](const CLI::App* a) { return !a->get_name().empty(); });
    write(dir + "/tuntap.1", main_page(app, subs, version));
    for (const auto* sub : subs) write(dir + "/tuntap-" + sub->get_name() + ".1", subcommand_page(*sub, version));
    write(dir + "/tuntap.bash", completion(app, subs));
  } catch (const std::exception& e) {
    fmt::print(stderr, "tuntap-docgen: {}\n", e.what());
    return 1;
  }
  return 0;
}
