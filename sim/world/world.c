/* world builder: to be written. */
