/** Differential oracle for the restaurant's personas [2..4) (the suite is in differential.ts). */
import { RESTAURANT } from '../support/domains.js';
import { differentialSuite } from './differential.js';

differentialSuite(RESTAURANT, 2, 4);
