/* cmdline.h: splitting the CA service's command lines (cmdline.c). */
#ifndef JIT_CMDLINE_H
#define JIT_CMDLINE_H

/*
 * Splits buf (NUL-terminated, modified in place) into at most max words,
 * pointers into buf: blanks separate words, '...' and "..." quote, a
 * backslash escapes the next character (inside "..." too).  The line must
 * be UTF-8 without control characters except tabs between words
 * (JIT_ERR_BAD_TEXT); unbalanced quotes, a tab inside quotes or more than
 * max words give JIT_ERR_INVALID_FORMAT.
 */
int ca_split_args(char *buf, char **argv, int max, int *argcp);

#endif /* JIT_CMDLINE_H */
