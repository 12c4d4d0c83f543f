/**
 * A language-model experiment driven by a recipe ({@code data.format: text}): {@link
 * org.distill4j.lm.experiment.LmRecipe} reads and validates it, {@link
 * org.distill4j.lm.experiment.LmExperiment} runs it end to end for {@code distill run}.
 */
package org.distill4j.lm.experiment;
