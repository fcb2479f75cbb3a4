/**
 * The order in which clients lose their place when the server is full. Priority clients (a
 * positive balance) rank above every free client, among themselves by balance per unit of
 * capacity; free clients rank by their negative balance (kept per IP: the more used, the lower).
 * The cost run up by the other members of the client's address group (/24, /64) that connect
 * from other addresses counts against it in both tiers — members of a group share each other's
 * cost (members at the same address already share one negative balance).
 */

export interface Rank {
  /** 1: priority client (positive balance); 0: free client. */
  tier: 0 | 1;
  /** Within the tier: (balance − group cost) / capacity, or −(negative balance + group cost). */
  value: number;
}

export function rankOf(positive: number, negative: number, capacity: number, groupCost: number): Rank {
  if (positive > 0) return { tier: 1, value: (positive - groupCost) / capacity };
  return { tier: 0, value: -(negative + groupCost) };
}

/** Negative when `a` ranks below `b`. */
export function compareRank(a: Rank, b: Rank): number {
  return a.tier - b.tier || a.value - b.value;
}

export interface GroupMember {
  ip: string;
  group: string;
  costUsed: number;
}

/** Cost of the members of `group` at addresses other than `ip`. */
export function groupCost(members: Iterable<GroupMember>, group: string, ip: string): number {
  let sum = 0;
  for (const m of members) if (m.group === group && m.ip !== ip) sum += m.costUsed;
  return sum;
}
