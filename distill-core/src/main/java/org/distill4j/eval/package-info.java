/** Evaluation: predictions and accuracy metrics, agreement with the teacher, serving cost. */
package org.distill4j.eval;
