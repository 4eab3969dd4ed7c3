/** Memorable default run names ("brave-owl-412"), as MLflow gives runs created without a name. */
import { randomInt } from 'node:crypto';

const ADJECTIVES = [
  'able', 'amber', 'bold', 'brave', 'bright', 'calm', 'clever', 'crisp', 'dapper', 'eager', 'fair', 'fleet', 'gentle',
  'glad', 'grand', 'honest', 'keen', 'kind', 'lively', 'lucid', 'merry', 'nimble', 'noble', 'polite', 'proud', 'quick',
  'quiet', 'rare', 'serene', 'sharp', 'shy', 'smooth', 'steady', 'sunny', 'swift', 'tidy', 'vast', 'warm', 'wise', 'zesty',
];
const NOUNS = [
  'ant', 'bass', 'bat', 'bear', 'bee', 'carp', 'cat', 'crane', 'crow', 'deer', 'dove', 'eel', 'elk', 'finch', 'fox',
  'frog', 'goat', 'hare', 'hawk', 'horse', 'ibis', 'jay', 'koi', 'lark', 'lynx', 'mole', 'moth', 'newt', 'owl', 'panda',
  'ram', 'seal', 'shrew', 'slug', 'snail', 'squid', 'stork', 'swan', 'toad', 'trout', 'wasp', 'whale', 'wolf', 'yak',
];

export function randomRunName(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}-${NOUNS[randomInt(NOUNS.length)]}-${randomInt(1000)}`;
}
