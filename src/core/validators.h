// Validators and maskers for Chinese identifiers: the unified social credit
// code of organisations (统一社会信用代码, GB 32100-2015), the resident
// identity number (公民身份号码, GB 11643-1999) and masking of personal data
// for public display (phone numbers, ID numbers, names).
//
// All functions are pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace lvyuan::core {

// Checks a unified social credit code: 18 characters from the GB 32100
// alphabet (digits and upper-case letters except I, O, Z, S, V); position 1 a
// registration authority (1-9, A, N, Y) and position 2 an organisation type
// that authority issues; positions 3-8 a 6-digit region code; position 18 the
// weighted mod-31 check character. Lower-case letters are rejected: callers
// store codes as printed on the licence.
// Returns Ok, or InvalidArgument with a Chinese message and `field`.
Status ValidateUscc(std::string_view code, std::string field = "uscc");

// Checks an 18-character resident identity number: 17 digits plus an ISO 7064
// MOD 11-2 check character (0-9 or upper-case X), a region prefix that starts
// with 1-9 and a real birth date (YYYYMMDD, year 1900 or later, leap years
// honoured). The date is not compared with today.
// Returns Ok, or InvalidArgument with a Chinese message and `field`.
Status ValidateIdNumber(std::string_view id, std::string field = "id_number");

// The ISO 7064 MOD 11-2 check character ('0'-'9' or 'X') for the first 17
// digits of `id`. Precondition: id holds at least 17 ASCII digits.
char IdNumberCheckCharacter(std::string_view id);

// The GB 32100 check character for the first 17 characters of `code`, or '\0'
// if one of them is outside the alphabet. Precondition: code.size() >= 17.
char UsccCheckCharacter(std::string_view code);

// Masking for display. Each works on UTF-8 code points, never splits one, and
// never reveals more than the documented characters; inputs too short to keep
// anything are masked completely.
//
// "33010219800101123X" → "330102********123X": first 6 and last 4 kept when
// there are at least 11 characters.
std::string MaskIdNumber(std::string_view id);
// "13812345678" → "138****5678": first 3 and last 4 kept when there are at
// least 8 characters.
std::string MaskPhone(std::string_view phone);
// "张三" → "张某", "欧阳娜娜" → "欧阳某": surname + "某". A known compound
// surname (欧阳, 司马, 诸葛, ...) is kept whole when the name has at least three
// characters. Empty input gives an empty string.
std::string MaskPersonName(std::string_view name);

}  // namespace lvyuan::core
