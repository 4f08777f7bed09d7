/*
 * layercheck: an empty program. `make check-layers` links each layer's
 * library into it whole, with only the libraries the layer may use: any
 * symbol the layer reaches for outside them is then an undefined reference.
 */
int main(void)
{
	return 0;
}
