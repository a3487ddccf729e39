// RFC 7512 URI parsing (through p11-kit) into token and object selectors.

#include "pkcs11/pkcs11_uri.h"

#include <gtest/gtest.h>

namespace xks::pkcs11 {
namespace {

TEST(Pkcs11UriTest, TokenAndObject) {
  auto uri = ParsePkcs11Uri("pkcs11:token=acme;object=k1");
  ASSERT_TRUE(uri.ok()) << uri.error().ToLogString();
  EXPECT_EQ(uri->token.label, "acme");
  EXPECT_FALSE(uri->token.serial);
  EXPECT_FALSE(uri->token.model);
  EXPECT_FALSE(uri->token.slot_id);
  EXPECT_EQ(uri->object.label, "k1");
  EXPECT_FALSE(uri->object.id);
}

TEST(Pkcs11UriTest, PercentEncodingIdSerialModelManufacturerSlot) {
  auto uri = ParsePkcs11Uri(
      "pkcs11:token=My%20Token;serial=0123abcd;model=SoftHSM%20v2;manufacturer=SoftHSM%20project;"
      "slot-id=42;object=key%3B1;id=%01%ff;type=secret-key");
  ASSERT_TRUE(uri.ok()) << uri.error().ToLogString();
  EXPECT_EQ(uri->token.label, "My Token");
  EXPECT_EQ(uri->token.serial, "0123abcd");
  EXPECT_EQ(uri->token.model, "SoftHSM v2");
  EXPECT_EQ(uri->token.manufacturer, "SoftHSM project");
  EXPECT_EQ(uri->token.slot_id, 42u);
  EXPECT_EQ(uri->object.label, "key;1");
  EXPECT_EQ(uri->object.id, (std::vector<std::uint8_t>{0x01, 0xff}));
}

TEST(Pkcs11UriTest, RejectsMalformedAndPins) {
  EXPECT_EQ(ParsePkcs11Uri("token=acme").error().kind, HsmErrorKind::kInvalidArgument);
  EXPECT_EQ(ParsePkcs11Uri("pkcs11:token=%zz").error().kind, HsmErrorKind::kInvalidArgument);
  auto with_pin = ParsePkcs11Uri("pkcs11:token=acme?pin-value=123456");
  ASSERT_FALSE(with_pin.ok());
  EXPECT_EQ(with_pin.error().kind, HsmErrorKind::kInvalidArgument);
  EXPECT_EQ(with_pin.error().ToLogString().find("123456"), std::string::npos);
  EXPECT_FALSE(ParsePkcs11Uri("pkcs11:token=acme?pin-source=file:/x").ok());
}

// Found by fuzz target pkcs11_uri: p11-kit stopped at the NUL, so what followed was ignored, and
// it drops raw whitespace, so "; ;" or ";\r;" was an empty attribute (see below).
TEST(Pkcs11UriTest, RejectsNulSpaceAndControlBytes) {
  using namespace std::string_literals;
  EXPECT_FALSE(ParsePkcs11Uri("pkcs11:serial=1;\r;token=acme?pin-value=1234").ok());
  EXPECT_FALSE(ParsePkcs11Uri("pkcs11:token=acme; ;model=x").ok());
  EXPECT_FALSE(ParsePkcs11Uri("pkcs11:token=My Token").ok());
  EXPECT_TRUE(ParsePkcs11Uri("pkcs11:token=My%20Token").ok());
  EXPECT_FALSE(ParsePkcs11Uri("pkcs11:token=\0acme;serial=0123"s).ok());
  EXPECT_FALSE(ParsePkcs11Uri("pkcs11:token=acme\0?pin-value=1234"s).ok());
  EXPECT_FALSE(ParseTokenSelector("pkcs11:token=acme\0;serial=x"s).ok());
  EXPECT_TRUE(ParsePkcs11Uri("pkcs11:token=acme%00").ok());
}

// Found by fuzz target pkcs11_uri: p11-kit stops at an empty attribute and ignores the rest, so
// "pkcs11:;token=acme" selected any token and a pin-value after it went unnoticed.
TEST(Pkcs11UriTest, RejectsEmptyPathAttributes) {
  for (const char* uri : {"pkcs11:;token=acme", "pkcs11:token=acme;;serial=1", "pkcs11:token=acme;",
                          "pkcs11:;token=acme?pin-value=1234", "pkcs11:;"}) {
    auto parsed = ParsePkcs11Uri(uri);
    ASSERT_FALSE(parsed.ok()) << uri;
    EXPECT_EQ(parsed.error().kind, HsmErrorKind::kInvalidArgument) << uri;
  }
  EXPECT_FALSE(ParseTokenSelector("pkcs11:;token=acme").ok());
  EXPECT_TRUE(ParsePkcs11Uri("pkcs11:").ok());
  EXPECT_TRUE(ParsePkcs11Uri("pkcs11:token=acme?").ok());
}

TEST(Pkcs11UriTest, SelectorsAcceptPlainLabels) {
  auto token = ParseTokenSelector("acme");
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->label, "acme");
  EXPECT_FALSE(ParseTokenSelector("").ok());
  EXPECT_FALSE(ParseTokenSelector(std::string(33, 'x')).ok());
  auto key = ParseObjectSelector("k1");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->label, "k1");
  EXPECT_FALSE(key->id);
  EXPECT_FALSE(ParseObjectSelector("").ok());
  auto key_uri = ParseObjectSelector("PKCS11:object=k2;id=%02");
  ASSERT_TRUE(key_uri.ok()) << key_uri.error().ToLogString();
  EXPECT_EQ(key_uri->label, "k2");
  EXPECT_EQ(key_uri->id, std::vector<std::uint8_t>{2});
  EXPECT_EQ(ParseObjectSelector("pkcs11:id=%02").error().kind, HsmErrorKind::kInvalidArgument);
}

TEST(Pkcs11UriTest, TokenSelectorMatches) {
  // Aggregate initialisation: GCC 12 at -O3 reports false -Wstringop-overflow and
  // -Wmaybe-uninitialized warnings for member-by-member assignment of short strings here.
  SlotDescription slot{.slot_id = 7,
                       .token_label = "acme",
                       .token_serial = "s1",
                       .token_model = "m",
                       .manufacturer = "v"};
  EXPECT_TRUE(TokenSelector{}.Matches(slot));
  auto by_uri = ParseTokenSelector("pkcs11:token=acme;serial=s1");
  ASSERT_TRUE(by_uri.ok());
  EXPECT_TRUE(by_uri->Matches(slot));
  slot.token_serial = "s2";
  EXPECT_FALSE(by_uri->Matches(slot));
  auto by_slot = ParseTokenSelector("pkcs11:slot-id=8");
  ASSERT_TRUE(by_slot.ok());
  EXPECT_FALSE(by_slot->Matches(slot));
  EXPECT_TRUE(ParseTokenSelector("acme")->Matches(slot));
  EXPECT_FALSE(ParseTokenSelector("acm")->Matches(slot));
}

}  // namespace
}  // namespace xks::pkcs11
