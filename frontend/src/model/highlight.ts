/**
 * A tiny syntax highlighter for the generated FreeBSD configuration: the operator script (sh), rc.conf
 * (sh assignments), pf.conf, dnsmasq.conf and devfs.rules. It marks comments, strings, variables,
 * keywords and numbers — enough to read the files, without a highlighting library in the bundle.
 */

export type TokenType = 'plain' | 'comment' | 'string' | 'variable' | 'keyword' | 'number' | 'section' | 'key';

export interface Token {
  type: TokenType;
  text: string;
}

export type Language = 'shell' | 'pf' | 'ini' | 'devfs';

const SHELL_KEYWORDS = new Set([
  'if', 'then', 'else', 'elif', 'fi', 'for', 'in', 'do', 'done', 'while', 'case', 'esac', 'function', 'return',
  'exit', 'set', 'export', 'local', 'echo', 'printf', 'sysrc', 'service', 'ifconfig', 'kldload', 'sysctl', 'iocage',
  'vm', 'mkdir', 'cat', 'test', 'true', 'false', 'trap', 'install', 'cp', 'mv', 'rm', 'chmod', 'pfctl', 'devfs',
]);
const PF_KEYWORDS = new Set([
  'pass', 'block', 'match', 'nat', 'rdr', 'on', 'from', 'to', 'any', 'in', 'out', 'quick', 'proto', 'port', 'tcp',
  'udp', 'icmp', 'inet', 'inet6', 'keep', 'state', 'set', 'skip', 'scrub', 'table', 'persist', 'all', 'log',
  'anchor', 'self', 'flags', 'modulate', 'synproxy', 'antispoof', 'for',
]);
const DEVFS_KEYWORDS = new Set(['add', 'include', 'path', 'unhide', 'hide', 'mode', 'user', 'group']);

/** Which language a file is written in, by its path (the operator script is `script`). */
export function languageOf(path: string): Language {
  if (/pf\.conf$/.test(path)) return 'pf';
  if (/dnsmasq[^/]*\.conf$|\.ini$/.test(path)) return 'ini';
  if (/devfs\.rules$/.test(path)) return 'devfs';
  return 'shell';
}

function keywordsOf(language: Language): ReadonlySet<string> {
  if (language === 'pf') return PF_KEYWORDS;
  if (language === 'devfs') return DEVFS_KEYWORDS;
  if (language === 'ini') return new Set();
  return SHELL_KEYWORDS;
}

function push(tokens: Token[], type: TokenType, text: string) {
  if (!text) return;
  const last = tokens[tokens.length - 1];
  if (last && last.type === type) last.text += text;
  else tokens.push({ type, text });
}

/** Tokens of one line. */
export function highlightLine(line: string, language: Language): Token[] {
  const tokens: Token[] = [];
  const keywords = keywordsOf(language);
  if (language === 'ini' || language === 'devfs') {
    const trimmed = line.trim();
    if (/^\[.*\]$/.test(trimmed)) return [{ type: 'section', text: line }];
    if (language === 'ini' && /^[#;]/.test(trimmed)) return [{ type: 'comment', text: line }];
    const keyMatch = language === 'ini' ? /^(\s*)([\w.-]+)(?==|\s*$)/.exec(line) : null;
    if (keyMatch) {
      push(tokens, 'plain', keyMatch[1]);
      push(tokens, 'key', keyMatch[2]);
      line = line.slice(keyMatch[0].length);
    }
  }
  let i = 0;
  let word = true; // at the start of a word (a '#' there starts a comment)
  while (i < line.length) {
    const c = line[i];
    if (c === '#' && word) {
      push(tokens, 'comment', line.slice(i));
      break;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < line.length && line[j] !== c) j += line[j] === '\\' && c === '"' ? 2 : 1;
      push(tokens, 'string', line.slice(i, j + 1));
      i = j + 1;
      word = false;
      continue;
    }
    if (c === '$' && language !== 'ini') {
      const m = /^\$(\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])/.exec(line.slice(i));
      if (m) {
        push(tokens, 'variable', m[0]);
        i += m[0].length;
        word = false;
        continue;
      }
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(line.slice(i))!;
      const text = m[0];
      // rc.conf style `name=value`, and macros in pf.conf: the name is a key.
      if (line[i + text.length] === '=' && word) push(tokens, 'key', text);
      else push(tokens, keywords.has(text) && word ? 'keyword' : 'plain', text);
      i += text.length;
      word = false;
      continue;
    }
    if (/[0-9]/.test(c) && word) {
      const m = /^[0-9][0-9./:a-fA-F]*/.exec(line.slice(i))!;
      push(tokens, /^[0-9]+(\.[0-9]+)*(\/[0-9]+)?$/.test(m[0]) ? 'number' : 'plain', m[0]);
      i += m[0].length;
      word = false;
      continue;
    }
    push(tokens, 'plain', c);
    word = /[\s;|&(){}=,]/.test(c);
    i++;
  }
  return tokens;
}

/** Tokens of every line of a text. */
export function highlight(text: string, language: Language): Token[][] {
  return text.split('\n').map((line) => highlightLine(line, language));
}
