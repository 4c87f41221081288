/* ChemViz engine kernels: one pass in C over the bytes of an Arrow string array where the numpy
 * path needs several (engine/native/__init__.py says when they are used). Each returns exactly
 * what the numpy path gives; the tests compare the two on random and real cells. */
#include <stdint.h>
#include <string.h>
#if defined(_MSC_VER)
#include <intrin.h>
#endif

/* (the build appends kernels_source(): this file's digest, checked when the module is loaded) */

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
#define LOWS 0x7F7F7F7F7F7F7F7FULL

/* Eight bytes at a time (SWAR): a word loaded in little-endian order, so that the lowest set bit
 * of a match mask is the first matching byte. */
static uint64_t load_le(const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

/* The high bit of each byte of w equal to the byte in `pattern` (ONES * byte), exactly. */
static uint64_t equal_bytes(uint64_t w, uint64_t pattern)
{
    uint64_t x = w ^ pattern;
    return ~(((x & LOWS) + LOWS) | x | LOWS);
}

static int lowest_byte(uint64_t mask)
{
#if defined(_MSC_VER)
    unsigned long at;
    _BitScanForward64(&at, mask);
    return (int)(at >> 3);
#else
    return __builtin_ctzll(mask) >> 3;
#endif
}

/* plain_parts of a cell of 1 to 8 bytes held in w (little-endian; bytes from len on are
 * ignored), without a branch per byte: the digits, with the point taken out, become one integer
 * by the multiply-and-shift steps of fast_float's parse_eight_digits_unrolled. */
static int plain_word(uint64_t w, int len, double *v)
{
    int neg = (w & 0xFF) == '-';
    if (neg) {
        w >>= 8;
        len--;
    }
    if (len <= 0)
        return 0;
    uint64_t keep = len == 8 ? ~0ULL : (1ULL << (8 * len)) - 1;
    w &= keep;
    if (w & HIGHS)
        return 0;                                   /* not ASCII */
    uint64_t above_9 = (w + ONES * (0x80 - 0x3A)) & HIGHS, below_0 = ~(w + ONES * (0x80 - 0x30)) & HIGHS;
    uint64_t other = (above_9 | below_0) & keep & HIGHS, dots = equal_bytes(w, ONES * '.') & keep;
    if (other != dots || (dots & (dots - 1)))
        return 0;                                   /* a byte other than a digit, or a second point */
    int scale = 0, digits = len;
    if (dots) {
        int k = lowest_byte(dots);
        uint64_t low = w & ((1ULL << (8 * k)) - 1);
        w = low | (((w >> (8 * k)) >> 8) << (8 * k));
        digits--;
        scale = len - 1 - k;
    }
    if (!digits)
        return 0;
    uint64_t d = (w - (ONES * '0' & ((digits == 8 ? ~0ULL : (1ULL << (8 * digits)) - 1)))) << (8 * (8 - digits));
    d = d * 10 + (d >> 8);
    d = (((d & 0x000000FF000000FFULL) * 0x000F424000000064ULL)
         + (((d >> 16) & 0x000000FF000000FFULL) * 0x0000271000000001ULL)) >> 32;
    *v = neg ? -(double)(uint32_t)d : (double)(uint32_t)d;
    return 1 + scale;
}

/* A cell matching -?[0-9]*\.?[0-9]* with at least one digit and at most 15 bytes (a "plain"
 * number, see engine.cells.plain_number_mask): returns 1 + its digits after the point and sets *v
 * to its digits as a signed integer, else returns 0 and sets *v to 0; its value is then
 * *v / POW10_AFTER[returned] (plain_value). At most 15 digits make a mantissa below 2**53 and the
 * divisor is a power of ten below 2**53, both exact, so one IEEE division gives the correctly
 * rounded value: what Arrow's string -> float64 cast gives (and -m / 10**k is -(m / 10**k), so a
 * minus zero stays -0.0, as Arrow reads it). `limit`: the end of the readable bytes (a cell of up
 * to 8 bytes with 8 readable is read as one word). */
static inline int plain_parts(const uint8_t *p, int64_t len, const uint8_t *limit, double *v)
{
    *v = 0.0;
    if (len <= 0 || len > 15)
        return 0;
    if (len <= 8 && limit - p >= 8)
        return plain_word(load_le(p), (int)len, v);
    int64_t j = p[0] == '-';
    uint64_t m = 0;
    int digits = 0, dot = 0, scale = 0;
    for (; j < len; j++) {
        uint8_t c = p[j];
        if (c >= '0' && c <= '9') {
            m = m * 10 + (uint64_t)(c - '0');
            digits++;
            scale += dot;
        } else if (c == '.' && !dot) {
            dot = 1;
        } else {
            return 0;
        }
    }
    if (!digits)
        return 0;
    *v = p[0] == '-' ? -(double)m : (double)m;
    return 1 + scale;
}

/* The divisor of plain_parts' result r: 10**(r - 1), and 1 for r = 0 (not plain: *v is 0). */
static const double POW10_AFTER[17] = {1e0, 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
                                       1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

/* plain_parts' value: returns 1 and sets *v to the cell's value when it is plain, else 0 (*v 0). */
static inline int plain_value(const uint8_t *p, int64_t len, const uint8_t *limit, double *v)
{
    int r = plain_parts(p, len, limit, v);
    *v /= POW10_AFTER[r];
    return r != 0;
}

/* The second half of plain_value for n cells whose plain_parts were stored in v and r: the
 * divisions, in a loop of their own over a few rows just read (still in cache), where they
 * overlap; in the reader's loop each waited for the one before (1M rows: -2.7 ms of CPU).
 * r goes back to 1 (plain) or 0. */
static void finish_values(double *v, uint8_t *r, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        v[i] /= POW10_AFTER[r[i]];
        r[i] = r[i] != 0;
    }
}

/* plain_value of each cell: plain[i] = 1 and out[i] = the value, else plain[i] = 0 and
 * out[i] = 0. offsets: the array's n + 1 offsets (from its own offset on); data: its data
 * buffer. Returns the number of plain cells. */
int64_t plain_numbers(const int32_t *offsets, const uint8_t *data, int64_t n,
                      double *out, uint8_t *plain)
{
    int64_t count = 0;
    for (int64_t i = 0; i < n; i++) {
        int ok = plain_value(data + offsets[i], offsets[i + 1] - offsets[i], data + offsets[n], out + i);
        plain[i] = (uint8_t)ok;
        count += ok;
    }
    return count;
}

/* A 64-bit hash of each cell's bytes (engine.cells.key_hashes): cells with equal bytes, after
 * ASCII upper case is folded to lower case when `fold` (ASCII columns only), hash equal. The
 * callers settle every shared hash on the exact strings, so only equal-in, equal-out matters.
 * `out` holds uint64 hashes, or with `half` their top 32 bits as uint32. */
static uint64_t fold_ascii(uint64_t w)
{
    uint64_t up = (w + 0x3F3F3F3F3F3F3F3FULL) & ~(w + 0x2525252525252525ULL) & 0x8080808080808080ULL;
    return w | (up >> 2);
}

/* The bytes p[0, k) from j on, up to 8 of them, as a little-endian word (zero above them): one
 * load where 8 bytes are readable before `end` (a memcpy of a variable size was a library call
 * per word: a sixth of the CSV reader's time on a Type column, and of key_hashes' on names). */
static uint64_t word_at(const uint8_t *p, int64_t j, int64_t k, const uint8_t *end)
{
    int64_t left = k - j;
    if (end - (p + j) >= 8) {
        uint64_t w = load_le(p + j);
        return left >= 8 ? w : w & ((1ULL << (8 * left)) - 1);
    }
    uint64_t w = 0;
    for (int64_t b = 0; b < left && b < 8; b++)
        w |= (uint64_t)p[j + b] << (8 * b);
    return w;
}

void key_hashes(const int32_t *offsets, const uint8_t *data, int64_t n, int fold, int half, void *out)
{
    const uint8_t *end = data + offsets[n];
    for (int64_t i = 0; i < n; i++) {
        const uint8_t *p = data + offsets[i];
        int32_t len = offsets[i + 1] - offsets[i];
        uint64_t h = (uint64_t)len * 0x9E3779B97F4A7C15ULL;
        for (int32_t j = 0; j < len; j += 8) {
            uint64_t w = word_at(p, j, len, end);
            if (fold)
                w = fold_ascii(w);
            h = (h ^ w) * 0xFF51AFD7ED558CCDULL;
            h ^= h >> 32;
        }
        h ^= h >> 33;
        h *= 0xC4CEB93FE53B5A3FULL;
        h ^= h >> 33;
        if (half)
            ((uint32_t *)out)[i] = (uint32_t)(h >> 32);
        else
            ((uint64_t *)out)[i] = h;
    }
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int month_days(int64_t y, int64_t m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return days[m - 1];
}

static int two(const uint8_t *p) { return (p[0] - '0') * 10 + (p[1] - '0'); }

/* Cells written exactly `YYYY-MM-DD HH:MM:SS` (or with a `T`) with a real date and time in the
 * years 1700-2200 (engine.iso_times.fixed_iso_ns): ok[i] = 1 and ns[i] = nanoseconds since 1970
 * as naive time, else ok[i] = 0 and ns[i] = 0. Returns the number read. */
int64_t fixed_iso_times(const int32_t *offsets, const uint8_t *data, int64_t n, int64_t *ns, uint8_t *ok)
{
    static const int digit_at[14] = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18};
    int64_t count = 0;
    for (int64_t i = 0; i < n; i++) {
        const uint8_t *p = data + offsets[i];
        int good = offsets[i + 1] - offsets[i] == 19;
        int64_t v = 0;
        if (good)
            good = p[4] == '-' && p[7] == '-' && (p[10] == ' ' || p[10] == 'T') && p[13] == ':' && p[16] == ':';
        for (int k = 0; good && k < 14; k++)
            good = p[digit_at[k]] >= '0' && p[digit_at[k]] <= '9';
        if (good) {
            int64_t year = two(p) * 100 + two(p + 2), month = two(p + 5), day = two(p + 8);
            int64_t hour = two(p + 11), minute = two(p + 14), second = two(p + 17);
            good = year >= 1700 && year <= 2200 && month >= 1 && month <= 12 && day >= 1
                   && day <= month_days(year, month) && hour <= 23 && minute <= 59 && second <= 59;
            if (good)
                v = (((days_from_civil(year, month, day) * 24 + hour) * 60 + minute) * 60 + second)
                    * 1000000000LL;
        }
        ns[i] = v;
        ok[i] = (uint8_t)good;
        count += good;
    }
    return count;
}

/* Rows grouped by code, each group in file order (engine.stats): item i (8 bytes: a float64 or an
 * int64, copied as bits) goes to out[next[codes[i] + 1]++], except the rows whose code + 1 is
 * `skip` (rows left out). `next` starts as each group's first position in out. One pass in file
 * order: what a stable argsort of the codes and a gather give, without the index array. */
void group_items(const int16_t *codes, int64_t n, int64_t *next, int64_t skip, const uint64_t *in, uint64_t *out)
{
    for (int64_t i = 0; i < n; i++) {
        int64_t g = (int64_t)codes[i] + 1;
        if (g != skip)
            out[next[g]++] = in[i];
    }
}

/* np.bincount(codes + shift, minlength=k) of int16 (width 2) or int32 (width 4) codes, into
 * counts[0..k) (zeroed first), in one pass with no int64 copy of the codes (what bincount makes
 * first). Returns 0, or -1 when some code + shift falls outside [0, k): the caller then asks
 * numpy, which says what is wrong or counts further. */
int64_t count_codes(const void *codes, int32_t width, int64_t n, int64_t shift, int64_t k, int64_t *counts)
{
    const int16_t *x16 = (const int16_t *)codes;
    const int32_t *x32 = (const int32_t *)codes;
    for (int64_t c = 0; c < k; c++)
        counts[c] = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t c = (width == 2 ? (int64_t)x16[i] : (int64_t)x32[i]) + shift;   /* (a branch always taken alike) */
        if ((uint64_t)c >= (uint64_t)k)
            return -1;
        counts[c]++;
    }
    return 0;
}

/* The uint32 hashes h[i] of the cells with among[i] (all when among is NULL), in file order, into
 * out; returns how many (engine.cells.colliding sorts them next). */
int64_t gather_hashes(const uint32_t *h, const uint8_t *among, int64_t n, uint32_t *out)
{
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++) {
        out[m] = h[i];
        m += among == NULL || among[i];
    }
    return m;
}

/* engine.cells.colliding after its sort: hit[i] = 1 when among[i] (all when NULL) and h[i] is
 * one of the values that occur more than once in sorted[0..m). The shared values are listed once
 * each in `shared` (room for m / 2 + 1: each takes two sorted places); a bitmap of their top 20
 * bits (`seen`, 1 << 17 bytes, zeroed here) leaves a bisection of that list to the few cells that
 * may hold one. Returns the number of cells marked. */
int64_t mark_shared(const uint32_t *sorted, int64_t m, const uint32_t *h, const uint8_t *among, int64_t n,
                    uint32_t *shared, uint8_t *seen, uint8_t *hit)
{
    int64_t k = 0, marked = 0;
    for (int64_t j = 1; j < m; j++)
        if (sorted[j] == sorted[j - 1] && (k == 0 || shared[k - 1] != sorted[j]))
            shared[k++] = sorted[j];
    memset(seen, 0, 1 << 17);
    for (int64_t j = 0; j < k; j++)
        seen[shared[j] >> 15] |= (uint8_t)(1u << ((shared[j] >> 12) & 7));
    for (int64_t i = 0; i < n; i++) {
        uint32_t x = h[i];
        int in = 0;
        if ((among == NULL || among[i]) && (seen[x >> 15] >> ((x >> 12) & 7) & 1)) {
            int64_t lo = 0, hi = k;      /* the first shared value >= x */
            while (lo < hi) {
                int64_t mid = lo + (hi - lo) / 2;
                if (shared[mid] < x)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            in = lo < k && shared[lo] == x;
        }
        hit[i] = (uint8_t)in;
        marked += in;
    }
    return marked;
}

/* codes[i] = remap[codes[i]] in place, for codes known to lie in [0, k) (engine.plain_csv: a piece's
 * Type codes renumbered into the file's dictionary; numpy's take into its own input first copies
 * it, 10 MB of fresh pages at 5M rows). */
void remap_codes(int32_t *codes, int64_t n, const int32_t *remap)
{
    for (int64_t i = 0; i < n; i++)
        codes[i] = remap[codes[i]];
}

/* out[i] = start + i (a piece's spreadsheet row numbers, written by the thread that read it). */
void fill_range(int64_t *out, int64_t n, int64_t start)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = start + i;
}
