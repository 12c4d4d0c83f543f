/** Whole experiments: teacher, cached outputs, scratch and distilled students, evaluation, report. */
package org.distill4j.experiment;
