// RFC 4180 cells: quoting on write, splitting (quotes, CRLF) on read.

/** A cell quoted when it holds a comma, a double quote, CR or LF. */
export function csvCell(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV line from cells (no line terminator). */
export function csvLine(cells: readonly string[]): string {
  return cells.map(csvCell).join(',');
}

/**
 * Splits CSV text into rows of cells. Handles quoted cells (with doubled quotes and line breaks
 * inside), LF or CRLF line ends, and a missing final line end; blank lines are dropped.
 * Each row carries its 1-based line number in the text for error messages.
 *
 * @throws Error on an unterminated quoted cell.
 */
export function parseCsvRows(text: string): { line: number; cells: string[] }[] {
  const rows: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let rowHasContent = false;
  const endRow = (): void => {
    cells.push(cell);
    if (rowHasContent || cells.length > 1 || cell !== '') rows.push({ line: rowLine, cells });
    cells = [];
    cell = '';
    rowHasContent = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        cell += c;
      }
      continue;
    }
    if (c === '"') {
      quoted = true;
      rowHasContent = true;
    } else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else cell += c;
  }
  if (quoted) throw new Error(`CSV line ${rowLine}: unterminated quoted cell`);
  if (cell !== '' || cells.length > 0 || rowHasContent) endRow();
  return rows;
}
