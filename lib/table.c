// table.c: Go's text/tabwriter as Docker's CLI sets it up (minwidth 10,
// tabwidth 1, padding 3, padchar ' ', no flags; `docker top` uses minwidth
// 20). Cells end at '\t', lines
// at '\n'; the last cell of a line ends with neither and is not padded.
// A column's width is taken over a block of consecutive lines that all
// have a tab-terminated cell in it, which is how ragged rows come out as
// Go's do.
#include "ocibox.h"

struct table {
  struct cell {       // every cell, line after line
    const char *s;
    int len, width;   // bytes, display columns (UTF-8 characters)
  } *cell;
  int *line;          // index of each line's first cell, and one past the end
  int *colw;          // widths of the columns being laid out
  int nlines, minw;
  FILE *out;
};

static int cells(struct table *t, int l)
{
  return t->line[l + 1] - t->line[l];
}

static void write_lines(struct table *t, int from, int to, int ncols)
{
  for (int l = from; l < to; l++) {
    for (int j = 0, c = t->line[l]; j < cells(t, l); j++, c++) {
      fwrite(t->cell[c].s, 1, t->cell[c].len, t->out);
      if (j < ncols) fprintf(t->out, "%*s", t->colw[j] - t->cell[c].width, "");
    }
    if (l + 1 < t->nlines) putc('\n', t->out);
  }
}

// Go's Writer.format: lay out the lines [from, to) whose columns left of
// `col` are sized already.
static void format(struct table *t, int from, int to, int col)
{
  int l, w;

  for (l = from; l < to; l++) {
    if (col >= cells(t, l) - 1) continue;
    write_lines(t, from, l, col);
    from = l;
    // this column's block: the lines from here on that have a cell in it
    t->colw[col] = t->minw;
    for (; l < to && col < cells(t, l) - 1; l++)
      if ((w = t->cell[t->line[l] + col].width + 3) > t->colw[col]) t->colw[col] = w;
    format(t, from, l, col + 1);
    from = l;
  }
  write_lines(t, from, to, col);
}

void table_flush(const char *text, FILE *out)
{
  table_flush_min(text, out, 10);
}

void table_flush_min(const char *text, FILE *out, int minwidth)
{
  struct table t = {.out = out, .minw = minwidth};
  const char *p, *s;
  int ncells = 1, nlines = 1, c = 0, l = 0;

  for (p = text; *p; p++) ncells += *p == '\t' || *p == '\n', nlines += *p == '\n';
  t.cell = xmalloc(ncells * sizeof(*t.cell));
  t.line = xmalloc((nlines + 1) * sizeof(int));
  t.colw = xmalloc(ncells * sizeof(int));
  t.nlines = nlines;
  t.line[0] = 0;
  for (p = s = text;; p++) {
    if (*p && *p != '\t' && *p != '\n') continue;
    t.cell[c].s = s;
    t.cell[c].len = p - s;
    for (t.cell[c].width = 0; s < p; s++) t.cell[c].width += (*s & 0xc0) != 0x80;
    // Go ends the last line's cell only when it holds something
    c += *p || t.cell[c].len;
    if (*p != '\t') t.line[++l] = c;
    if (!*p) break;
    s = p + 1;
  }
  format(&t, 0, nlines, 0);
  free(t.cell);
  free(t.line);
  free(t.colw);
}
