/** Experiment recipes: YAML plus overrides, validated once into an immutable {@link org.distill4j.recipe.Recipe}. */
package org.distill4j.recipe;
