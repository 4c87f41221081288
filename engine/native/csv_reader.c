/* ChemViz engine: the reader for plain CSV (no quote after the header, a one-byte delimiter),
 * which is what almost every export is. One pass over the bytes gives each column in the form
 * the engine reads it next, where Arrow's reader gives text that is then read again:
 *   CSV_TEXT     the cells as written (an Arrow string array's offsets and bytes);
 *   CSV_TRIMMED  the same with ASCII whitespace trimmed at both ends (what the engine does to
 *                the names first; Arrow's ascii_trim_whitespace set);
 *   CSV_DICT     dictionary codes in first-seen order (Type: a handful of spellings);
 *   CSV_NUMBER   the text, plus each plain cell's value (plain_parts, then finish_values a
 *                few hundred rows at a time; from kernels.c).
 * Anything else (a row with another field count, an empty line, too many distinct codes) makes
 * it return a negative status and engine.plain_csv leaves the file to Arrow's reader, which
 * stays the reference: the tests compare the two table for table. Appended to kernels.c by the
 * build (one module). */

enum { CSV_TEXT = 0, CSV_TRIMMED = 1, CSV_DICT = 2, CSV_NUMBER = 3 };
enum { CSV_RAGGED = -1, CSV_TOO_MANY_CODES = -2, CSV_ROWS_DIFFER = -3, CSV_TOO_LONG = -4, CSV_QUOTED = -5 };

typedef struct {
    int32_t role;
    int32_t *offsets;       /* rows + 1: TEXT, TRIMMED, NUMBER */
    uint8_t *data;          /* their bytes, room for data_cap */
    int64_t data_cap;
    int64_t used;           /* out: bytes written to data (or dict_data) */
    double *values;         /* NUMBER: rows; the plain cells' values, 0 elsewhere */
    uint8_t *plain;         /* NUMBER: rows; 1 where plain */
    int32_t *codes;         /* DICT: rows */
    int32_t *dict_offsets;  /* DICT: dict_cap + 1 */
    uint8_t *dict_data;     /* DICT: the distinct values' bytes, room for data_cap */
    int32_t *slots;         /* DICT: hash table of slot_count entries (a power of two > dict_cap) */
    int32_t slot_count;
    int32_t dict_cap;
    int32_t dict_count;     /* out */
    int32_t non_ascii;      /* out, TRIMMED: some cell holds a byte >= 0x80 */
} csv_column;

/* first_equal: the high bit of some bytes equal to `pattern`, at least the first one (cheaper
 * than kernels.c's exact equal_bytes) */
static uint64_t first_equal(uint64_t w, uint64_t pattern)
{
    uint64_t x = w ^ pattern;
    return (x - ONES) & ~x & HIGHS;
}

static int64_t bits_set(uint64_t m)
{
    m = (m >> 7) & ONES;        /* one bit per byte: each mask here has only byte high bits */
    return (int64_t)((m * ONES) >> 56);
}

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define CSV_SSE2 1

/* The sum of the 16 byte lanes of v. */
static int64_t lane_sum(__m128i v)
{
    __m128i s = _mm_sad_epu8(v, _mm_setzero_si128());
    return (int64_t)_mm_cvtsi128_si32(s) + (int64_t)_mm_cvtsi128_si32(_mm_srli_si128(s, 8));
}

/* csv_count_rows' counts over buf[0, *at) for the longest run of whole 16-byte blocks, 16 bytes
 * per step (SSE2, on every x86-64): each lane counts its matches (as 0 - (-1) per match) for up to
 * 255 blocks, then the lanes are summed. A \r\n pair across two blocks is looked for at each
 * block's first byte. Returns the quotes seen (nonzero: some). */
static int count_blocks(const uint8_t *buf, int64_t len, int64_t *at, int64_t *lfs, int64_t *crs, int64_t *pairs)
{
    const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r'), quote = _mm_set1_epi8('"');
    __m128i quotes = _mm_setzero_si128();
    int64_t i = 0;
    while (i + 16 <= len) {
        __m128i n_lf = _mm_setzero_si128(), n_cr = _mm_setzero_si128(), n_pair = _mm_setzero_si128();
        int64_t stop = len - i > 16 * 255 ? i + 16 * 255 : len;
        for (; i + 16 <= stop; i += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(buf + i));
            __m128i is_lf = _mm_cmpeq_epi8(v, lf), is_cr = _mm_cmpeq_epi8(v, cr);
            quotes = _mm_or_si128(quotes, _mm_cmpeq_epi8(v, quote));
            n_lf = _mm_sub_epi8(n_lf, is_lf);
            n_cr = _mm_sub_epi8(n_cr, is_cr);
            n_pair = _mm_sub_epi8(n_pair, _mm_and_si128(is_cr, _mm_srli_si128(is_lf, 1)));
            *pairs += i > 0 && buf[i] == '\n' && buf[i - 1] == '\r';
        }
        *lfs += lane_sum(n_lf);
        *crs += lane_sum(n_cr);
        *pairs += lane_sum(n_pair);
    }
    *at = i;
    return _mm_movemask_epi8(quotes);
}
#endif

/* Records in buf: line ends (\n, \r\n or a lone \r), plus a last line without one; or
 * CSV_QUOTED when buf holds a quote (Arrow's reader then reads the file by its quoting rules). */
int64_t csv_count_rows(const uint8_t *buf, int64_t len)
{
    const uint64_t lf = ONES * '\n', cr = ONES * '\r', quote = ONES * '"';
    int64_t i = 0, lfs = 0, crs = 0, pairs = 0;
    uint64_t cr_before = 0, quotes = 0;    /* the last byte of the word before was \r; a quote seen */
    if (len <= 0)
        return 0;
#ifdef CSV_SSE2
    quotes = (uint64_t)count_blocks(buf, len, &i, &lfs, &crs, &pairs);
    cr_before = i > 0 && buf[i - 1] == '\r';
#endif
    for (; i + 8 <= len; i += 8) {
        uint64_t w = load_le(buf + i), at_lf = equal_bytes(w, lf), at_cr = equal_bytes(w, cr);
        quotes |= first_equal(w, quote);
        lfs += bits_set(at_lf);
        if (at_cr | cr_before) {
            crs += bits_set(at_cr);
            pairs += bits_set(at_cr & (at_lf >> 8)) + (int64_t)(cr_before && (at_lf & 0x80));
        }
        cr_before = at_cr >> 63;
    }
    for (; i < len; i++) {
        quotes |= buf[i] == '"';
        lfs += buf[i] == '\n';
        crs += buf[i] == '\r';
        pairs += buf[i] == '\n' && (i > 0 ? buf[i - 1] == '\r' : 0);
    }
    if (quotes)
        return CSV_QUOTED;
    return lfs + crs - pairs + (buf[len - 1] != '\n' && buf[len - 1] != '\r');
}

/* The first delimiter or line end from p on (or end). */
static const uint8_t *cell_end(const uint8_t *p, const uint8_t *end, uint64_t delims, const uint8_t *stop)
{
    const uint64_t lf = ONES * '\n', cr = ONES * '\r';
    while (end - p >= 8) {
        uint64_t w = load_le(p);
        uint64_t m = first_equal(w, delims) | first_equal(w, lf) | first_equal(w, cr);
        if (m)
            return p + lowest_byte(m);
        p += 8;
    }
    while (p < end && !stop[*p])
        p++;
    return p;
}

static int is_ascii_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int64_t put_text(csv_column *col, int64_t row, const uint8_t *p, int64_t k, const uint8_t *end)
{
    if (col->used + k > col->data_cap || col->used + k > INT32_MAX)
        return CSV_TOO_LONG;
    uint8_t *to = col->data + col->used;
    if (k <= 16 && p + 16 <= end && col->used + 16 <= col->data_cap) {
        memcpy(to, p, 16);      /* a short cell: one fixed-size copy (the bytes after it are overwritten next) */
    } else {
        memcpy(to, p, (size_t)k);
    }
    col->used += k;
    col->offsets[row + 1] = (int32_t)col->used;
    return 0;
}

static int64_t put_code(csv_column *col, int64_t row, const uint8_t *p, int64_t k, const uint8_t *end)
{
    uint64_t h = (uint64_t)k * 0x9E3779B97F4A7C15ULL;
    for (int64_t j = 0; j < k; j += 8) {
        h = (h ^ word_at(p, j, k, end)) * 0xFF51AFD7ED558CCDULL;
        h ^= h >> 32;
    }
    uint32_t mask = (uint32_t)col->slot_count - 1, at = (uint32_t)h & mask;
    for (;;) {
        int32_t code = col->slots[at];
        if (code < 0)
            break;
        int32_t a = col->dict_offsets[code], b = col->dict_offsets[code + 1];
        if (b - a == k && memcmp(col->dict_data + a, p, (size_t)k) == 0) {
            col->codes[row] = code;
            return 0;
        }
        at = (at + 1) & mask;
    }
    if (col->dict_count >= col->dict_cap || col->used + k > col->data_cap)
        return CSV_TOO_MANY_CODES;
    memcpy(col->dict_data + col->used, p, (size_t)k);
    col->used += k;
    col->slots[at] = col->dict_count;
    col->dict_offsets[++col->dict_count] = (int32_t)col->used;
    col->codes[row] = col->dict_count - 1;
    return 0;
}

enum { FINISH_ROWS = 512 };     /* rows whose numbers are finished at a time (their values still in L1) */

static void finish_numbers(csv_column *cols, int32_t ncols, int64_t first, int64_t n)
{
    for (int32_t c = 0; c < ncols; c++)
        if (cols[c].role == CSV_NUMBER)
            finish_values(cols[c].values + first, cols[c].plain + first, n);
}

/* Reads exactly `rows` records of `ncols` fields each from buf into cols (one per field).
 * Returns 0, or a negative status (nothing then is to be used). */
int64_t csv_read_plain(const uint8_t *buf, int64_t len, uint8_t delim, int32_t ncols, csv_column *cols,
                       int64_t rows)
{
    uint8_t stop[256] = {0};
    stop[delim] = stop['\n'] = stop['\r'] = 1;
    const uint64_t delims = ONES * delim;
    for (int32_t c = 0; c < ncols; c++) {
        cols[c].used = 0;
        cols[c].dict_count = 0;
        cols[c].non_ascii = 0;
        if (cols[c].role == CSV_DICT) {
            cols[c].dict_offsets[0] = 0;
            for (int32_t s = 0; s < cols[c].slot_count; s++)
                cols[c].slots[s] = -1;
        } else {
            cols[c].offsets[0] = 0;
        }
    }
    const uint8_t *p = buf, *end = buf + len;
    int64_t row = 0;
    while (p < end) {
        if (row >= rows)
            return CSV_ROWS_DIFFER;
        for (int32_t c = 0; c < ncols; c++) {
            const uint8_t *s = p;
            p = cell_end(p, end, delims, stop);
            int last = c == ncols - 1;
            if (last ? (p < end && *p == delim) : (p >= end || *p != delim))
                return CSV_RAGGED;       /* more or fewer fields than the header */
            csv_column *col = cols + c;
            int64_t k = p - s, status = 0;
            switch (col->role) {
            case CSV_TRIMMED:
                while (k > 0 && is_ascii_space(s[0])) {
                    s++;
                    k--;
                }
                while (k > 0 && is_ascii_space(s[k - 1]))
                    k--;
                for (int64_t j = 0; j < k; j++)
                    col->non_ascii |= s[j] >> 7;
                status = put_text(col, row, s, k, end);
                break;
            case CSV_DICT:
                status = put_code(col, row, s, k, end);
                break;
            case CSV_NUMBER:
                col->plain[row] = (uint8_t)plain_parts(s, k, end, col->values + row);   /* (finished below) */
                status = put_text(col, row, s, k, end);
                break;
            default:
                status = put_text(col, row, s, k, end);
            }
            if (status)
                return status;
            if (!last)
                p++;
        }
        if (p < end) {      /* the line end: \n, \r\n or \r */
            if (*p++ == '\r' && p < end && *p == '\n')
                p++;
        }
        row++;
        if (row % FINISH_ROWS == 0)
            finish_numbers(cols, ncols, row - FINISH_ROWS, FINISH_ROWS);
    }
    if (row != rows)
        return CSV_ROWS_DIFFER;
    finish_numbers(cols, ncols, row - row % FINISH_ROWS, row % FINISH_ROWS);
    return 0;
}

/* What engine.encoding asks of a whole file before anything else: bit 1 set when buf holds a NUL
 * byte (not text), bit 2 when it holds a byte >= 0x80 (not ASCII: its UTF-8 is then checked). One
 * pass, where `b"\0" in data` and `data.isascii()` made two (decode_text at 1M rows: 6.8 -> 3.4 ms). */
int32_t text_flags(const uint8_t *buf, int64_t len)
{
    int64_t i = 0;
    uint64_t high = 0, nul = 0;
#ifdef CSV_SSE2
    __m128i any_high = _mm_setzero_si128(), any_nul = _mm_setzero_si128(), zero = _mm_setzero_si128();
    for (; i + 16 <= len; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(buf + i));
        any_high = _mm_or_si128(any_high, v);
        any_nul = _mm_or_si128(any_nul, _mm_cmpeq_epi8(v, zero));
    }
    high = (uint64_t)_mm_movemask_epi8(any_high);
    nul = (uint64_t)_mm_movemask_epi8(any_nul);
#endif
    for (; i + 8 <= len; i += 8) {
        uint64_t w = load_le(buf + i);
        high |= w & HIGHS;
        nul |= equal_bytes(w, 0);
    }
    for (; i < len; i++) {
        high |= buf[i] & 0x80;
        nul |= buf[i] == 0;
    }
    return (nul ? 1 : 0) | (high ? 2 : 0);
}
