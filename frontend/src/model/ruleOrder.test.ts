import { describe, expect, it } from 'vitest';
import { indexChanges, moveItem } from './ruleOrder';

describe('rule order', () => {
  const rules = [
    { id: 10, index: 0 },
    { id: 11, index: 1 },
    { id: 12, index: 2 },
  ];

  it('moves a rule up and writes only the indexes that change', () => {
    const moved = moveItem(rules, 2, 0);
    expect(moved.map((r) => r.id)).toEqual([12, 10, 11]);
    expect(indexChanges(moved)).toEqual([
      { id: 12, index: 0 },
      { id: 10, index: 1 },
      { id: 11, index: 2 },
    ]);
  });

  it('leaves the list alone for a move out of range or onto itself', () => {
    expect(moveItem(rules, 1, 1)).toEqual(rules);
    expect(moveItem(rules, 0, 5)).toEqual(rules);
    expect(indexChanges(rules)).toEqual([]);
  });

  it('numbers rules stored with gaps or equal indexes from 0', () => {
    expect(indexChanges([{ id: 1, index: 0 }, { id: 2, index: 0 }, { id: 3, index: 7 }])).toEqual([
      { id: 2, index: 1 },
      { id: 3, index: 2 },
    ]);
  });
});
