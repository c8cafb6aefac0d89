import { describe, expect, it } from 'vitest';
import { highlight, highlightLine, languageOf } from './highlight';

const typesOf = (tokens: { type: string; text: string }[]) => tokens.filter((t) => t.type !== 'plain').map((t) => `${t.type}:${t.text}`);

describe('highlight', () => {
  it('picks the language from the path', () => {
    expect(languageOf('/etc/pf.conf')).toBe('pf');
    expect(languageOf('/usr/local/etc/dnsmasq.conf')).toBe('ini');
    expect(languageOf('/etc/devfs.rules')).toBe('devfs');
    expect(languageOf('/etc/rc.conf')).toBe('shell');
    expect(languageOf('script')).toBe('shell');
  });

  it('marks rc.conf keys, strings and trailing comments', () => {
    expect(typesOf(highlightLine('ifconfig_em0="inet 10.1.1.2/24" # uplink', 'shell'))).toEqual([
      'key:ifconfig_em0',
      'string:"inet 10.1.1.2/24"',
      'comment:# uplink',
    ]);
  });

  it('marks shell keywords and variables, not a # inside a word', () => {
    expect(typesOf(highlightLine('if [ -n "$x" ]; then echo ${HOST}#1; fi', 'shell'))).toEqual([
      'keyword:if',
      'string:"$x"',
      'keyword:then',
      'keyword:echo',
      'variable:${HOST}',
      'keyword:fi',
    ]);
  });

  it('marks pf keywords and addresses', () => {
    expect(typesOf(highlightLine('nat on em0 from 10.1.1.0/24 to any -> (em0)', 'pf'))).toEqual([
      'keyword:nat', 'keyword:on', 'keyword:from', 'number:10.1.1.0/24', 'keyword:to', 'keyword:any',
    ]);
  });

  it('marks dnsmasq keys and comments, and devfs sections', () => {
    expect(typesOf(highlightLine('dhcp-range=10.1.1.100,10.1.1.199,12h', 'ini'))[0]).toBe('key:dhcp-range');
    expect(typesOf(highlightLine('# managed by jailnet', 'ini'))).toEqual(['comment:# managed by jailnet']);
    expect(typesOf(highlightLine('[devfsrules_jail_vnet=10]', 'devfs'))).toEqual(['section:[devfsrules_jail_vnet=10]']);
  });

  it('keeps every character of the text', () => {
    const text = 'a="b # c" # d\n$e ${f}\n';
    expect(highlight(text, 'shell').map((line) => line.map((t) => t.text).join('')).join('\n')).toBe(text);
  });
});
