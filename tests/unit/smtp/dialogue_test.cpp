// Runs every tests/dialogues/*.dlg script against smtp::Session in-process (STYLE.md §9.3),
// once with each client write delivered whole, then in grind modes (one byte at a time, and in
// odd-sized pieces), and requires the same replies in every mode: the session's behaviour must
// not depend on how TCP splits the input (RFC 5321 §2.4 imposes no segmentation).
#include "support/dialogue.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

// The harness is compiled here: the test CMakeLists globs only *_test.cpp.
#include "support/dialogue.cpp"  // NOLINT(bugprone-suspicious-include)

namespace mw::test {
namespace {

namespace fs = std::filesystem;

fs::path dialogue_dir() {
    fs::path root =
        std::getenv("MW_SOURCE_DIR")
            ? fs::path(std::getenv("MW_SOURCE_DIR"))
            : fs::path(__FILE__).parent_path().parent_path().parent_path().parent_path();
    return root / "tests" / "dialogues";
}

std::vector<std::string> script_names() {
    std::vector<std::string> names;
    if (!fs::is_directory(dialogue_dir())) return names;
    for (const auto& entry : fs::directory_iterator(dialogue_dir())) {
        if (entry.path().extension() == ".dlg") names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string join(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& line : lines) out += "  " + line + "\n";
    return out;
}

class Dialogues : public testing::TestWithParam<std::string> {};

TEST_P(Dialogues, RunsWholeAndGround) {
    RecordProperty("rfc", GetParam());
    auto script = read_file(dialogue_dir() / GetParam());
    ASSERT_FALSE(script.empty()) << GetParam();
    auto whole = run_script(script, Feed::Whole);
    EXPECT_TRUE(whole.failures.empty()) << GetParam() << ":\n" << join(whole.failures);
    for (auto mode : {Feed::ByteByByte, Feed::OddChunks}) {
        auto ground = run_script(script, mode);
        const char* name = mode == Feed::ByteByByte ? "byte by byte" : "odd chunks";
        EXPECT_TRUE(ground.failures.empty()) << name << ":\n" << join(ground.failures);
        EXPECT_EQ(ground.transcript, whole.transcript) << name;
    }
}

std::string test_name(const testing::TestParamInfo<std::string>& info) {
    std::string name;
    for (char c : info.param.substr(0, info.param.size() - 4)) {
        name.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
    }
    return name;
}

INSTANTIATE_TEST_SUITE_P(Scripts, Dialogues, testing::ValuesIn(script_names()), test_name);

TEST(DialogueHarness, FindsTheScripts) {
    EXPECT_GT(script_names().size(), 10u);
}

TEST(DialogueHarness, ReportsAMismatchWithLineNumber) {
    auto result = run_script("S: 220 *\nC: NOOP\nS: 250 2.0.0 Nope\n", Feed::Whole);
    ASSERT_EQ(result.failures.size(), 1u);
    EXPECT_EQ(result.failures[0], "line 3: got 250 2.0.0 Ok, want 250 2.0.0 Nope");
}

TEST(DialogueHarness, ReportsUnreadRepliesAtTheEnd) {
    auto result = run_script("S: 220 *\nC: NOOP\n", Feed::Whole);
    ASSERT_EQ(result.failures.size(), 1u);
    EXPECT_EQ(result.failures[0], "line 2: got unexpected reply line: 250 2.0.0 Ok");
}

TEST(DialogueHarness, UnescapesAndRepeats) {
    EXPECT_EQ(unescape(R"(a\r\n\0\x41\\)"), std::string("a\r\n\0A\\", 6));
    EXPECT_EQ(expand_repeats("x{3*a}y{2**}"), "xaaay**");
    EXPECT_EQ(expand_repeats("{a*b}"), "{a*b}");
}

}  // namespace
}  // namespace mw::test
