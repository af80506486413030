<?xml version="1.0" encoding="UTF-8"?>
<!--
  Shows a sitemap as a readable page when a person opens it in a browser; search engines
  ignore it. XSLT 1.0, the version browsers run. Handles the sitemap index, ordinary
  sitemaps (with their images) and the Google News sitemap.
-->
<xsl:stylesheet version="1.0"
                xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:sitemap="http://www.sitemaps.org/schemas/sitemap/0.9"
                xmlns:image="http://www.google.com/schemas/sitemap-image/1.1"
                xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"
                exclude-result-prefixes="sitemap image news">
    <xsl:output method="html" encoding="UTF-8" indent="yes" doctype-system="about:legacy-compat"/>

    <!-- "2025-03-01T14:05:00+02:00" becomes "2025-03-01 14:05". -->
    <xsl:template name="when">
        <xsl:param name="value"/>
        <xsl:value-of select="concat(substring($value, 1, 10), ' ', substring($value, 12, 5))"/>
    </xsl:template>

    <xsl:template match="/">
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="robots" content="noindex"/>
                <title>XML sitemap</title>
                <style>
                    body { margin: 0; font: 1rem/1.5 system-ui, sans-serif; color: #1d1d1f; background: #fff; }
                    main { max-width: 64rem; margin: 0 auto; padding: 2rem 1rem; }
                    h1 { font-size: 1.75rem; margin: 0 0 .5rem; }
                    p { margin: 0 0 1.5rem; color: #3d3d42; }
                    a { color: #0b57d0; }
                    a:focus-visible { outline: 3px solid #0b57d0; outline-offset: 2px; }
                    table { width: 100%; border-collapse: collapse; font-size: .9375rem; }
                    caption { text-align: left; font-weight: 600; padding: 0 0 .5rem; }
                    th, td { text-align: left; vertical-align: top; padding: .5rem .75rem .5rem 0; border-bottom: 1px solid #d2d2d7; }
                    th { font-weight: 600; border-bottom-width: 2px; }
                    td.number, th.number { text-align: right; white-space: nowrap; }
                    td.when { white-space: nowrap; }
                    td a { word-break: break-all; }
                </style>
            </head>
            <body>
                <main>
                    <h1>XML sitemap</h1>
                    <p>
                        This file tells search engines which pages this site publishes.
                        <xsl:if test="not(sitemap:sitemapindex)">
                            <a href="/sitemap.xml">Back to the list of sitemaps</a>.
                        </xsl:if>
                    </p>
                    <xsl:apply-templates select="sitemap:sitemapindex | sitemap:urlset"/>
                </main>
            </body>
        </html>
    </xsl:template>

    <xsl:template match="sitemap:sitemapindex">
        <table>
            <caption><xsl:value-of select="count(sitemap:sitemap)"/> sitemaps</caption>
            <thead>
                <tr>
                    <th scope="col">Sitemap</th>
                    <th scope="col">Last modified</th>
                </tr>
            </thead>
            <tbody>
                <xsl:for-each select="sitemap:sitemap">
                    <tr>
                        <td><a href="{sitemap:loc}"><xsl:value-of select="sitemap:loc"/></a></td>
                        <td class="when">
                            <xsl:call-template name="when">
                                <xsl:with-param name="value" select="sitemap:lastmod"/>
                            </xsl:call-template>
                        </td>
                    </tr>
                </xsl:for-each>
            </tbody>
        </table>
    </xsl:template>

    <xsl:template match="sitemap:urlset[sitemap:url/news:news]">
        <table>
            <caption><xsl:value-of select="count(sitemap:url)"/> articles for Google News</caption>
            <thead>
                <tr>
                    <th scope="col">Headline</th>
                    <th scope="col">Published</th>
                </tr>
            </thead>
            <tbody>
                <xsl:for-each select="sitemap:url">
                    <tr>
                        <td><a href="{sitemap:loc}"><xsl:value-of select="news:news/news:title"/></a></td>
                        <td class="when">
                            <xsl:call-template name="when">
                                <xsl:with-param name="value" select="news:news/news:publication_date"/>
                            </xsl:call-template>
                        </td>
                    </tr>
                </xsl:for-each>
            </tbody>
        </table>
    </xsl:template>

    <xsl:template match="sitemap:urlset">
        <table>
            <caption><xsl:value-of select="count(sitemap:url)"/> addresses</caption>
            <thead>
                <tr>
                    <th scope="col">Address</th>
                    <th scope="col" class="number">Images</th>
                    <th scope="col">Last modified</th>
                </tr>
            </thead>
            <tbody>
                <xsl:for-each select="sitemap:url">
                    <tr>
                        <td><a href="{sitemap:loc}"><xsl:value-of select="sitemap:loc"/></a></td>
                        <td class="number"><xsl:value-of select="count(image:image)"/></td>
                        <td class="when">
                            <xsl:call-template name="when">
                                <xsl:with-param name="value" select="sitemap:lastmod"/>
                            </xsl:call-template>
                        </td>
                    </tr>
                </xsl:for-each>
            </tbody>
        </table>
    </xsl:template>
</xsl:stylesheet>
